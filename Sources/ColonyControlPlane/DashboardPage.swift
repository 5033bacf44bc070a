/// The dashboard: one page, everything inline (no request leaves for another host), live over
/// `/api/v1/events`. It reads the token from `?token=` once, keeps it in the tab's session
/// storage and removes it from the address bar. Data from the colony is put in the page as
/// text only (never as HTML), since agents' outputs and errors are not trusted.
enum DashboardPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Colony</title>
    <style>
      :root { --bg: #f6f7f9; --card: #fff; --line: #dde1e6; --text: #1d232a; --muted: #66707a; --accent: #2457c5; }
      * { box-sizing: border-box; }
      body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--text); }
      header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 10px 16px; background: #1d232a; color: #fff; }
      header h1 { font-size: 17px; margin: 0; }
      header nav { display: flex; flex-wrap: wrap; gap: 4px; }
      header nav button { background: transparent; color: #cfd6de; border: 1px solid transparent; border-radius: 6px; padding: 5px 10px; cursor: pointer; font: inherit; }
      header nav button.active { color: #fff; border-color: #5b6570; }
      #live { margin-left: auto; font-size: 12px; color: #f0b44c; }
      #live.on { color: #6fd18d; }
      main { padding: 12px 16px; max-width: 1400px; margin: 0 auto; }
      section { display: none; }
      section.active { display: block; }
      .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px; margin-bottom: 12px; overflow-x: auto; }
      .card h2 { font-size: 15px; margin: 0 0 8px; }
      .row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
      .grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.3fr); gap: 12px; }
      @media (max-width: 900px) { .grid { grid-template-columns: minmax(0, 1fr); } }
      table { border-collapse: collapse; width: 100%; }
      th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; white-space: nowrap; }
      td.wrap { white-space: normal; word-break: break-word; }
      tr[data-run] { cursor: pointer; }
      tr[data-run]:hover, tr.selected { background: #eef3fc; }
      input, select, textarea, button { font: inherit; }
      input, select, textarea { border: 1px solid var(--line); border-radius: 6px; padding: 5px 8px; background: #fff; }
      textarea { width: 100%; min-height: 54px; font-family: ui-monospace, monospace; }
      button.action { background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: 6px 12px; cursor: pointer; }
      button.danger { background: #c0392b; }
      button.plain { background: #e9edf2; color: var(--text); border: 0; border-radius: 6px; padding: 4px 9px; cursor: pointer; }
      .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; color: #fff; background: #8a949e; }
      .s-pending, .s-ready { background: #8a949e; } .s-running, .s-dispatched { background: #2f6fd6; }
      .s-completed, .s-succeeded { background: #2e9a56; } .s-failed { background: #c0392b; }
      .s-retrying { background: #d98a1c; } .s-skipped { background: #b7bec6; } .s-cancelled { background: #4d555d; }
      .s-waiting { background: #8e44ad; } .s-paused { background: #b9770e; }
      .s-started { background: #2e9a56; } .s-buffered { background: #2f6fd6; } .s-missed { background: #c0392b; } .s-duplicate { background: #8a949e; }
      tr[data-schedule] { cursor: pointer; }
      .muted { color: var(--muted); }
      pre { margin: 0; white-space: pre-wrap; word-break: break-word; font-size: 12px; }
      #message { color: #c0392b; min-height: 1em; }
      svg text { font: 12px system-ui, sans-serif; }
      svg g.step { cursor: pointer; }
    </style>
    </head>
    <body>
    <header>
      <h1>Colony</h1>
      <nav>
        <button id="tab-runs" class="active" data-tab="runs">Runs</button>
        <button id="tab-agents" data-tab="agents">Agents</button>
        <button id="tab-schedules" data-tab="schedules">Schedules</button>
        <button id="tab-queue" data-tab="queue">Queue</button>
        <button id="tab-groups" data-tab="groups">Groups</button>
      </nav>
      <span id="live">connecting…</span>
    </header>
    <main>
      <div id="message" role="alert"></div>
      <section id="runs" class="active">
        <div class="card">
          <h2>Start a run</h2>
          <div class="row">
            <select id="start-workflow" aria-label="workflow"></select>
            <input id="start-priority" type="number" placeholder="priority" style="width: 90px" aria-label="priority">
            <button id="start-button" class="action">Start</button>
          </div>
          <textarea id="start-input" placeholder='input as JSON, e.g. {"a": 1}' aria-label="input"></textarea>
        </div>
        <div class="grid">
          <div class="card">
            <div class="row" style="margin-bottom: 8px">
              <h2 style="margin: 0">Runs</h2>
              <select id="filter-status" aria-label="status">
                <option value="">any status</option><option>pending</option><option>running</option>
                <option>paused</option><option>completed</option><option>failed</option><option>cancelled</option>
              </select>
              <input id="filter-workflow" placeholder="search workflow" aria-label="search workflow">
            </div>
            <table><thead><tr><th>run</th><th>workflow</th><th>status</th><th>started</th><th>took</th></tr></thead>
              <tbody id="runs-body"></tbody></table>
          </div>
          <div class="card" id="run-detail"><span class="muted">Select a run to see its graph.</span></div>
        </div>
      </section>
      <section id="agents"><div class="card"><h2>Agents</h2><table><thead><tr><th>agent</th><th>instance</th><th>state</th><th>busy</th><th>served</th><th>failed</th><th>last seen</th><th>gate skipped</th><th>capabilities</th></tr></thead><tbody id="agents-body"></tbody></table></div></section>
      <section id="schedules"><div class="card"><h2>Schedules</h2><table><thead><tr><th>schedule</th><th>workflow</th><th>trigger</th><th>next fire</th><th>last tick</th><th>missed</th><th>skipped</th><th>state</th><th></th></tr></thead><tbody id="schedules-body"></tbody></table></div>
        <div class="card" id="schedule-ticks"><span class="muted">Select a schedule to see its recent ticks.</span></div>
        <div class="card"><h2>Event triggers</h2><table><thead><tr><th>workflow</th><th>event</th><th>when</th><th>dedupe</th><th>started</th><th>filtered</th><th>duplicate</th><th>refused</th><th>last</th></tr></thead><tbody id="triggers-body"></tbody></table></div></section>
      <section id="queue"><div class="card"><h2>Runs waiting for a slot</h2><table><thead><tr><th>run</th><th>workflow</th><th>priority</th><th>queued</th><th>why it waits</th></tr></thead><tbody id="queue-runs"></tbody></table></div>
        <div class="card"><h2>Steps waiting for a resource</h2><table><thead><tr><th>run</th><th>step</th><th>priority</th><th>resources</th><th>why it waits</th></tr></thead><tbody id="queue-steps"></tbody></table></div>
        <div class="card"><h2>Paused runs</h2><table><thead><tr><th>run</th><th>workflow</th><th>since</th><th>why</th></tr></thead><tbody id="queue-paused"></tbody></table></div>
        <div class="card"><h2>Resources</h2><table><thead><tr><th>resource</th><th>held</th><th>held by</th></tr></thead><tbody id="queue-resources"></tbody></table></div></section>
      <section id="groups"><div class="grid"><div class="card"><h2>Groups</h2><table><thead><tr><th>group</th><th>members</th><th>leader</th><th>term</th></tr></thead><tbody id="groups-body"></tbody></table></div>
        <div class="card" id="group-detail"><span class="muted">Select a group.</span></div></div></section>
    </main>
    <script>
    "use strict";
    const query = new URLSearchParams(location.search);
    let token = query.get("token") || sessionStorage.getItem("colony-token") || "";
    if (query.get("token")) {
      sessionStorage.setItem("colony-token", token);
      history.replaceState(null, "", location.pathname + location.hash);
    }
    const state = { tab: "runs", runs: [], selectedRun: null, selectedSchedule: null, workflows: [], graphs: {} };

    function el(tag, attributes, ...children) {
      const node = document.createElement(tag);
      for (const [key, value] of Object.entries(attributes || {})) {
        if (value === undefined || value === null) continue;
        if (key.startsWith("on")) node.addEventListener(key.slice(2), value); else node.setAttribute(key, value);
      }
      for (const child of children.flat()) {
        if (child === undefined || child === null) continue;
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
      return node;
    }
    function svg(tag, attributes, ...children) {
      const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
      for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
      for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      return node;
    }
    const badge = status => el("span", { class: "badge s-" + status }, status);
    const time = value => value ? new Date(value).toLocaleTimeString() : "";
    const took = run => run.startedAt && run.finishedAt ? ((new Date(run.finishedAt) - new Date(run.startedAt)) / 1000).toFixed(3) + " s" : "";
    const ago = ms => ms ? Math.max(0, Math.round((Date.now() - ms) / 1000)) + " s ago" : "";
    function say(text) { document.getElementById("message").textContent = text || ""; }

    async function api(path, options) {
      const response = await fetch("/api/v1" + path, Object.assign({}, options, {
        headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" } }));
      const body = await response.json().catch(() => null);
      if (!response.ok) throw new Error(body && body.error ? body.error.code + ": " + body.error.message : "HTTP " + response.status);
      return body;
    }
    function later(key, action, ms) {
      clearTimeout(later[key]);
      later[key] = setTimeout(() => action().catch(error => say(error.message)), ms || 150);
    }

    // Runs
    async function loadWorkflows() {
      const list = await api("/workflows");
      state.workflows = list.workflows;
      for (const workflow of list.workflows) state.graphs[workflow.name] = workflow.graph || [];
      const select = document.getElementById("start-workflow");
      select.replaceChildren(...list.workflows.map(w => el("option", { value: w.name }, w.name)));
    }
    async function loadRuns() {
      const status = document.getElementById("filter-status").value;
      const page = await api("/runs?limit=200" + (status ? "&status=" + status : ""));
      state.runs = page.runs;
      renderRuns();
    }
    function renderRuns() {
      const search = document.getElementById("filter-workflow").value.trim().toLowerCase();
      const rows = state.runs.filter(run => !search || run.workflow.toLowerCase().includes(search)).map(run =>
        el("tr", { "data-run": run.id, "data-status": run.status, class: run.id === state.selectedRun ? "selected" : null,
                   onclick: () => { state.selectedRun = run.id; renderRuns(); loadRun().catch(e => say(e.message)); } },
          el("td", {}, run.id), el("td", {}, run.workflow), el("td", { class: "status" }, badge(run.status)),
          el("td", {}, time(run.startedAt || run.createdAt)), el("td", {}, took(run))));
      document.getElementById("runs-body").replaceChildren(...rows);
    }
    async function loadRun() {
      if (!state.selectedRun) return;
      const detail = await api("/runs/" + encodeURIComponent(state.selectedRun));
      if (!state.graphs[detail.run.workflow]) {
        try { state.graphs[detail.run.workflow] = (await api("/workflows/" + encodeURIComponent(detail.run.workflow))).graph || []; } catch (e) { state.graphs[detail.run.workflow] = []; }
      }
      renderRun(detail);
    }
    function renderRun(detail) {
      const run = detail.run;
      const final = ["completed", "failed", "cancelled"].includes(run.status);
      const header = el("div", { class: "row" }, el("h2", { style: "margin: 0" }, run.workflow + " · " + run.id),
        el("span", { id: "run-status", "data-status": run.status }, badge(run.status)),
        final ? null : el("button", { id: "pause-button", class: "plain", onclick: () => steerRun(run.id, run.status === "paused" ? "resume" : "pause").catch(e => say(e.message)) },
          run.status === "paused" ? "Resume" : "Pause"),
        final ? null : el("button", { id: "cancel-button", class: "action danger", onclick: () => cancel(run.id) }, "Cancel"),
        final && run.status !== "completed" ? el("button", { id: "retry-button", class: "action", onclick: () => retryRun(run.id).catch(e => say(e.message)) }, "Retry") : null);
      const facts = el("div", { class: "muted" }, "version " + run.version + " · created " + time(run.createdAt) +
        (run.finishedAt ? " · took " + took(run) : "") + (run.error ? " · " + run.error.code + ": " + run.error.message : ""));
      const parts = [header, facts, graph(detail)];
      for (const a of detail.attempts.filter(a => a.status === "waiting" && a.input && a.input.signal)) {
        const data = el("input", { id: "signal-data-" + a.stepID, placeholder: 'data as JSON, e.g. {"ok": true}', style: "min-width: 240px", "aria-label": "signal data" });
        parts.push(el("div", { class: "row", style: "margin: 8px 0" }, "step " + a.stepID + " waits for signal '" + a.input.signal + "'", data,
          el("button", { id: "signal-" + a.stepID, class: "action", onclick: () => sendSignal(run.id, a.input.signal, data.value).catch(e => say(e.message)) }, "Send " + a.input.signal)));
      }
      parts.push(el("h2", {}, "Attempts"), el("table", { id: "attempts" },
        el("thead", {}, el("tr", {}, ["step", "attempt", "status", "agent", "instance", "started", "finished", "output or error"].map(h => el("th", {}, h)))),
        el("tbody", {}, detail.attempts.map(a => el("tr", { "data-step": a.stepID },
          el("td", {}, a.stepID), el("td", {}, a.attempt), el("td", {}, badge(a.status)), el("td", {}, a.agent || ""),
          el("td", {}, a.instance || ""), el("td", {}, time(a.startedAt)), el("td", {}, time(a.finishedAt)),
          el("td", { class: "wrap" }, el("pre", {}, a.errorCode ? a.errorCode + ": " + (a.errorMessage || "") : JSON.stringify(a.output) || "")))))));
      if (run.output !== undefined) parts.push(el("h2", {}, "Output"), el("pre", { id: "run-output" }, JSON.stringify(run.output, null, 2)));
      if (detail.skipped.length) parts.push(el("h2", {}, "Handlers the failure gate skipped"), el("ul", { id: "skipped" },
        detail.skipped.map(s => el("li", {}, s.agent + " · " + s.handler + " · " + s.reason))));
      if (detail.children.length) parts.push(el("h2", {}, "Child runs"), el("ul", {}, detail.children.map(child =>
        el("li", {}, el("a", { href: "#", onclick: event => { event.preventDefault(); state.selectedRun = child.id; loadRun().catch(e => say(e.message)); } }, child.id), " ", child.workflow, " ", badge(child.status)))));
      if (detail.waiting.length) parts.push(el("p", { class: "muted" }, "waiting: " + detail.waiting.join("; ")));
      const open = id => el("a", { href: "#", onclick: event => { event.preventDefault(); state.selectedRun = id; loadRun().catch(e => say(e.message)); } }, id);
      if (run.retryOf) parts.push(el("p", { id: "retry-of" }, "retry of ", open(run.retryOf)));
      if (detail.retries.length) parts.push(el("p", { id: "retried-as" }, "retried as ", ...detail.retries.map(r => [open(r.id), " ", badge(r.status), " "])));
      document.getElementById("run-detail").replaceChildren(...parts);
    }
    function graph(detail) {
      const nodes = state.graphs[detail.run.workflow] || [];
      const steps = Object.fromEntries(detail.steps.map(s => [s.stepID, s]));
      const attempts = {};
      for (const a of detail.attempts) attempts[a.stepID] = (attempts[a.stepID] || 0) + 1;
      const known = nodes.length ? nodes : detail.steps.map(s => ({ id: s.stepID, dependsOn: [], handler: false }));
      const depth = {};
      const depthOf = (node, seen) => {
        if (depth[node.id] !== undefined) return depth[node.id];
        if (seen.has(node.id)) return 0;
        seen.add(node.id);
        const parents = node.dependsOn.map(id => known.find(n => n.id === id)).filter(Boolean);
        return depth[node.id] = parents.length ? 1 + Math.max(...parents.map(p => depthOf(p, seen))) : 0;
      };
      known.filter(n => !n.handler).forEach(n => depthOf(n, new Set()));
      const maxDepth = Math.max(0, ...Object.values(depth));
      known.filter(n => n.handler).forEach(n => depth[n.id] = maxDepth + 1);
      const columns = {};
      const position = {};
      for (const node of known) {
        const column = depth[node.id];
        columns[column] = (columns[column] || 0) + 1;
        position[node.id] = { x: 10 + column * 180, y: 10 + (columns[column] - 1) * 62 };
      }
      const width = 20 + (Math.max(...Object.keys(columns).map(Number), 0) + 1) * 180;
      const height = 20 + Math.max(1, ...Object.values(columns)) * 62;
      const picture = svg("svg", { id: "dag", width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img" });
      for (const node of known) for (const parent of node.dependsOn) {
        if (!position[parent]) continue;
        picture.append(svg("line", { x1: position[parent].x + 150, y1: position[parent].y + 22, x2: position[node.id].x, y2: position[node.id].y + 22, stroke: "#9aa4ae" }));
      }
      const colors = { pending: "#8a949e", ready: "#8a949e", dispatched: "#2f6fd6", running: "#2f6fd6", waiting: "#8e44ad", succeeded: "#2e9a56", failed: "#c0392b", retrying: "#d98a1c", skipped: "#b7bec6", cancelled: "#4d555d" };
      for (const node of known) {
        const step = steps[node.id];
        const status = step ? step.status : (node.handler ? "not run" : "pending");
        const group = svg("g", { class: "step", "data-step": node.id, "data-status": status, transform: "translate(" + position[node.id].x + "," + position[node.id].y + ")" });
        group.append(svg("rect", { width: 150, height: 44, rx: 7, fill: colors[status] || "#e0e4e8", "fill-opacity": step ? 1 : 0.35, stroke: node.handler ? "#c0392b" : "none", "stroke-dasharray": node.handler ? "4 3" : "" }));
        group.append(svg("text", { x: 8, y: 18, fill: "#fff" }, node.id));
        group.append(svg("text", { x: 8, y: 35, fill: "#fff", "font-size": 11 }, status + (attempts[node.id] > 1 ? " · " + attempts[node.id] + " attempts" : "")));
        group.addEventListener("click", () => {
          const row = document.querySelector('#attempts tr[data-step="' + CSS.escape(node.id) + '"]');
          if (row) row.scrollIntoView({ block: "nearest" });
        });
        picture.append(group);
      }
      return picture;
    }
    async function start() {
      const workflow = document.getElementById("start-workflow").value;
      const text = document.getElementById("start-input").value.trim();
      const priority = document.getElementById("start-priority").value;
      let input;
      try { input = text ? JSON.parse(text) : undefined; } catch (error) { say("the input is not JSON: " + error.message); return; }
      const body = { input: input };
      if (priority) body.priority = Number(priority);
      const run = await api("/workflows/" + encodeURIComponent(workflow) + "/runs", { method: "POST", body: JSON.stringify(body) });
      say("");
      state.selectedRun = run.id;
      state.runs.unshift(run);
      renderRuns();
      await loadRun();
    }
    async function sendSignal(id, name, text) {
      let data;
      try { data = text.trim() ? JSON.parse(text) : undefined; } catch (error) { say("the data is not JSON: " + error.message); return; }
      await api("/runs/" + encodeURIComponent(id) + "/signals/" + encodeURIComponent(name), { method: "POST", body: JSON.stringify({ data: data }) });
      say("");
      await Promise.all([loadRuns(), loadRun()]);
    }
    async function steerRun(id, verb) {
      await api("/runs/" + encodeURIComponent(id) + "/" + verb, { method: "POST", body: JSON.stringify({ reason: verb + "d from the dashboard" }) });
      await Promise.all([loadRuns(), loadRun()]);
    }
    async function retryRun(id) {
      const run = await api("/runs/" + encodeURIComponent(id) + "/retry", { method: "POST", body: "{}" });
      state.selectedRun = run.id;
      await Promise.all([loadRuns(), loadRun()]);
    }
    async function cancel(id) {
      await api("/runs/" + encodeURIComponent(id) + "/cancel", { method: "POST", body: JSON.stringify({ reason: "cancelled from the dashboard" }) });
      await Promise.all([loadRuns(), loadRun()]);
    }

    // Agents, schedules, queue, groups
    async function loadAgents() {
      const directory = await api("/agents");
      document.getElementById("agents-body").replaceChildren(...directory.agents.map(a => el("tr", { "data-agent": a.name },
        el("td", {}, a.name), el("td", {}, a.instance || ""), el("td", {}, a.state), el("td", {}, a.busy + "/" + a.capacity),
        el("td", {}, a.served), el("td", {}, a.failed), el("td", {}, ago(a.lastSeenMilliseconds)),
        el("td", {}, Object.entries(a.skipped || {}).map(([k, v]) => v + " " + k).join(", ")), el("td", { class: "wrap" }, a.capabilities.join(", ")))));
    }
    async function loadSchedules() {
      const list = await api("/schedules");
      document.getElementById("schedules-body").replaceChildren(...list.schedules.map(s => el("tr", { "data-schedule": s.name,
        class: s.name === state.selectedSchedule ? "selected" : "", onclick: () => { state.selectedSchedule = s.name; loadSchedules().catch(e => say(e.message)); } },
        el("td", {}, s.name), el("td", {}, s.workflow), el("td", {}, s.trigger), el("td", {}, time(s.nextFire)), el("td", {}, time(s.lastTick)),
        el("td", {}, s.missed), el("td", {}, s.skipped), el("td", {}, s.paused ? "paused" : "active"),
        el("td", {}, el("div", { class: "row" },
          el("button", { class: "plain", onclick: () => steer(s.name, s.paused ? "resume" : "pause") }, s.paused ? "Resume" : "Pause"),
          el("button", { class: "plain", onclick: () => steer(s.name, "trigger") }, "Trigger"))))));
      if (state.selectedSchedule) await loadTicks(state.selectedSchedule);
      const triggers = (await api("/triggers")).triggers;
      document.getElementById("triggers-body").replaceChildren(...(triggers.length ? triggers.map(t => el("tr", { "data-trigger": t.workflow },
        el("td", {}, t.workflow), el("td", {}, t.event), el("td", {}, t.when || ""), el("td", {}, t.dedupe || ""),
        ...["started", "filtered", "duplicate", "refused"].map(o => el("td", {}, t.counts[o] || 0)),
        el("td", {}, t.last ? time(t.last.at) + " " + t.last.outcome : ""))) : [el("tr", {}, el("td", { class: "muted", colspan: "9" }, "no workflow has a trigger"))]));
    }
    async function loadTicks(name) {
      const reply = await api("/schedules/" + encodeURIComponent(name) + "/ticks?limit=20");
      document.getElementById("schedule-ticks").replaceChildren(el("h2", {}, "Recent ticks of " + name),
        reply.ticks.length ? el("table", {}, el("thead", {}, el("tr", {}, ...["tick", "outcome", "decided", "run", "reason"].map(h => el("th", {}, h)))),
          el("tbody", {}, ...reply.ticks.map(t => el("tr", { "data-tick": t.outcome },
            el("td", {}, time(t.scheduledAt)), el("td", {}, badge(t.outcome)), el("td", {}, time(t.decidedAt)),
            el("td", {}, t.runID || ""), el("td", { class: "wrap" }, t.reason || "")))))
          : el("p", { class: "muted" }, "no ticks yet"));
    }
    async function steer(name, verb) {
      state.selectedSchedule = name;
      await api("/schedules/" + encodeURIComponent(name) + "/" + verb, { method: "POST" });
      await loadSchedules();
    }
    async function loadQueue() {
      const queue = await api("/queue");
      const rows = (id, items, columns, empty) => document.getElementById(id).replaceChildren(...(items.length
        ? items.map(item => el("tr", {}, ...columns(item).map((text, i, all) => el("td", i === all.length - 1 ? { class: "wrap" } : {}, text))))
        : [el("tr", {}, el("td", { class: "muted", colspan: "5" }, empty))]));
      rows("queue-runs", queue.runs, r => [r.run, r.workflow, String(r.priority), time(r.createdAt), r.reason], "nothing waits");
      rows("queue-steps", queue.steps, s => [s.run, s.step, String(s.priority), s.resources.join(", "), s.reason], "nothing waits");
      rows("queue-paused", queue.paused || [], r => [r.run, r.workflow, time(r.since), r.reason || ""], "no run is paused");
      rows("queue-resources", queue.resources || [], r => [r.resource, r.holders.length + "/" + r.capacity,
        r.holders.map(h => h.run + "/" + h.step).join(", ") || "free"], "no named resources are configured or held");
    }
    async function loadGroups() {
      const list = await api("/groups");
      document.getElementById("groups-body").replaceChildren(...list.groups.map(g => el("tr", { "data-group": g.name, style: "cursor: pointer",
        onclick: () => loadGroup(g.name).catch(e => say(e.message)) },
        el("td", {}, g.name), el("td", {}, g.members), el("td", {}, g.leader || ""), el("td", {}, g.term === undefined ? "" : g.term))));
    }
    async function loadGroup(name) {
      const group = await api("/groups/" + encodeURIComponent(name));
      document.getElementById("group-detail").replaceChildren(el("h2", {}, group.name),
        el("p", {}, group.leadership ? "leader " + (group.leadership.leader || "none") + " · term " + group.leadership.term : "no leader"),
        el("p", {}, "members: " + group.members.map(m => m.instance || m.name).join(", ")),
        el("h2", {}, "Recent decisions"), el("ul", {}, group.decisions.map(d => el("li", {}, d.kind + " " + d.round + " → " + (d.decision || "open")))));
    }
    const loaders = { runs: () => Promise.all([loadRuns(), loadRun()]), agents: loadAgents, schedules: loadSchedules, queue: loadQueue, groups: loadGroups };
    function show(tab) {
      state.tab = tab;
      for (const button of document.querySelectorAll("header nav button")) button.classList.toggle("active", button.dataset.tab === tab);
      for (const section of document.querySelectorAll("main section")) section.classList.toggle("active", section.id === tab);
      loaders[tab]().catch(error => say(error.message));
    }

    // Live
    function follow() {
      const live = document.getElementById("live");
      const source = new EventSource("/api/v1/events?token=" + encodeURIComponent(token));
      source.onopen = () => { live.textContent = "live"; live.className = "on"; };
      source.onerror = () => { live.textContent = "reconnecting…"; live.className = ""; };
      const onEvent = event => {
        const data = JSON.parse(event.data);
        if (event.type.startsWith("workflow.") || event.type.startsWith("step.")) {
          later("runs", loadRuns);
          if (data.run && data.run === state.selectedRun) later("run", loadRun, 50);
        }
        if (event.type.startsWith("agent.") && state.tab === "agents") later("agents", loadAgents);
        if (state.tab === "queue") later("queue", loadQueue, 300);
        if (event.type.startsWith("coordination.") && state.tab === "groups") later("groups", loadGroups, 300);
        if (event.type === "schedule.ticked" && state.tab === "schedules") later("schedules", loadSchedules, 300);
      };
      for (const topic of ["workflow.started", "workflow.paused", "workflow.resumed", "workflow.completed", "workflow.failed", "workflow.cancelled", "workflow.skipped",
                           "step.dispatched", "step.waiting", "step.succeeded", "step.failed", "step.retrying", "step.skipped", "step.cancelled",
                           "schedule.ticked", "agent.joined", "agent.lost", "coordination.decided", "coordination.awarded", "coordination.leader"]) source.addEventListener(topic, onEvent);
    }

    for (const button of document.querySelectorAll("header nav button")) button.addEventListener("click", () => show(button.dataset.tab));
    document.getElementById("start-button").addEventListener("click", () => start().catch(error => say(error.message)));
    document.getElementById("filter-status").addEventListener("change", () => loadRuns().catch(error => say(error.message)));
    document.getElementById("filter-workflow").addEventListener("input", renderRuns);
    if (!token) {
      say("No token: open the URL colony up printed (…/?token=…), or add ?token= with the contents of .colony/keys/http-token.");
    } else {
      Promise.all([loadWorkflows(), loadRuns()]).catch(error => say(error.message));
      follow();
    }
    </script>
    </body>
    </html>
    """#
}
