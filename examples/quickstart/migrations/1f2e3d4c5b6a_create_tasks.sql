-- revision: 1f2e3d4c5b6a
-- message: create tasks
-- created: 2026-11-21T09:00:00Z

-- up
CREATE TABLE tasks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title text NOT NULL,
    done boolean NOT NULL DEFAULT false
);

-- down
DROP TABLE tasks;
