-- revision: 3c1d2e3f4a5b
-- revises: 1f2e3d4c5b6a
-- branch-labels: tags
-- message: create tags
-- created: 2026-11-21T10:30:00Z

-- The other branch, labelled 'tags': `pelican upgrade tags@head` would apply only it.

-- up
CREATE TABLE tags (
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    tag text NOT NULL,
    PRIMARY KEY (task_id, tag)
);

-- down
DROP TABLE tags;
