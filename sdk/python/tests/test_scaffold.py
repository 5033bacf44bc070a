"""`colony new agent`: the Python template runs its own test against a real broker; the Swift
template depends on this checkout by a path that resolves. (Its sources are
Examples/ScaffoldedAgent, which `swift test` builds and tests; building the generated package
itself takes minutes: COLONY_SCAFFOLD_BUILD=1 does it here too.)"""
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import ROOT, colony_binary


def new_agent(tmp_path, *arguments):
    return subprocess.run([colony_binary(), "new", "agent", *arguments], cwd=tmp_path, capture_output=True, text=True)


def test_a_new_python_agent_passes_its_test_and_joins_agents_yaml(tmp_path):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "agents.yaml").write_text("agents:\n  - name: echo\n    run: echo\n")
    made = new_agent(tmp_path, "pricing", "--capability", "pricing.quote")
    assert made.returncode == 0, made.stderr
    assert "created agents/pricing/pricing.py" in made.stdout and "colony request pricing.quote" in made.stdout
    entry = (tmp_path / "configs" / "agents.yaml").read_text()
    assert "  - name: pricing\n    command: [.venv/bin/python, agents/pricing/pricing.py]" in entry

    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "agents/pricing"], cwd=tmp_path,
                            capture_output=True, text=True, env={**os.environ, "COLONY_BIN": colony_binary()}, timeout=120)
    assert tested.returncode == 0 and "1 passed" in tested.stdout, tested.stdout + tested.stderr

    again = new_agent(tmp_path, "pricing", "--directory", "elsewhere")
    assert again.returncode != 0 and "already has an agent named 'pricing'" in again.stderr
    assert new_agent(tmp_path, "Bad-Name").returncode != 0
    assert not (tmp_path / "elsewhere").exists()


def test_a_new_swift_agent_is_a_package_on_this_checkout(tmp_path):
    made = new_agent(tmp_path, "shop_front", "--lang", "swift", "--capability", "shop.greet", "--colony-path", str(ROOT))
    assert made.returncode == 0, made.stderr
    package = tmp_path / "agents" / "shop_front"
    manifest = (package / "Package.swift").read_text()
    path = manifest.split('.package(path: "')[1].split('"')[0]
    assert (package / path).resolve() == ROOT.resolve()
    assert f'package: "{ROOT.name.lower()}"' in manifest
    for file in ("Sources/ShopFrontAgent/ShopFrontAgent.swift", "Sources/shop_front/main.swift", "Tests/ShopFrontAgentTests/ShopFrontAgentTests.swift"):
        assert (package / file).exists(), file
    assert "add it to your agents.yaml" in made.stdout and "agents/shop_front/.build/release/shop_front" in made.stdout
    if os.environ.get("COLONY_SCAFFOLD_BUILD") != "1":
        pytest.skip("building the Swift package takes minutes: COLONY_SCAFFOLD_BUILD=1 builds and tests it")
    tested = subprocess.run(["swift", "test", "--package-path", str(package)], capture_output=True, text=True, timeout=1800)
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-3000:]
