-- revision: 4d5e6f7a8b9c
-- revises: 2a9b8c7d6e5f, 3c1d2e3f4a5b
-- message: merge priority and tags
-- created: 2026-11-21T11:00:00Z

-- A merge revision: it joins the two branches so that the history has one head again.
-- It has nothing to run (`pelican merge heads -m ...` writes such a file).

-- up

-- down
