import ColonyCore
import GRDB

// The columns queries name, each spelled once, next to the records they belong to.

extension RunRecord {
    public enum Columns {
        public static let id = Column("id")
        public static let workflow = Column("workflow")
        public static let status = Column("status")
        public static let priority = Column("priority")
        public static let createdAt = Column("createdAt")
        public static let finishedAt = Column("finishedAt")
        public static let scheduleID = Column("scheduleID")
        public static let scheduledAt = Column("scheduledAt")
        public static let parentRunID = Column("parentRunID")
        public static let retryOf = Column("retryOf")
    }
}

extension StepRecord {
    public enum Columns {
        public static let runID = Column("runID")
        public static let stepID = Column("stepID")
    }
}

extension AttemptRecord {
    public enum Columns {
        public static let runID = Column("runID")
        public static let startedAt = Column("startedAt")
        public static let attempt = Column("attempt")
    }
}

extension TransitionRecord {
    public enum Columns {
        public static let runID = Column("runID")
        public static let sequence = Column("sequence")
    }
}

extension SkipRecord {
    public enum Columns {
        public static let id = Column("id")
        public static let runID = Column("runID")
    }
}

extension DefinitionRecord {
    public enum Columns {
        public static let id = Column("id")
        public static let name = Column("name")
        public static let fingerprint = Column("fingerprint")
    }
}

extension ScheduleRecord {
    public enum Columns {
        public static let name = Column("name")
    }
}

extension TickRecord {
    public enum Columns {
        public static let schedule = Column("schedule")
        public static let outcome = Column("outcome")
        public static let scheduledAt = Column("scheduledAt")
    }
}

extension LeadershipRecord {
    public enum Columns {
        public static let group = Column("group")
    }
}

extension RoundRecord {
    public enum Columns {
        public static let group = Column("group")
        public static let openedAt = Column("openedAt")
    }
}
