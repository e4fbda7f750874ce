-- revision: 2a9b8c7d6e5f
-- revises: 1f2e3d4c5b6a
-- message: add priority to tasks
-- created: 2026-11-21T10:00:00Z

-- One of two branches that grew from 'create tasks' at the same time (say, two pull
-- requests). The merge revision 4d5e6f7a8b9c joins them again.

-- up
ALTER TABLE tasks ADD COLUMN priority integer NOT NULL DEFAULT 0;

-- down
ALTER TABLE tasks DROP COLUMN priority;
