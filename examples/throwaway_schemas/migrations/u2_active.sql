-- revision: u2
-- revises: u1
-- message: users can be deactivated

-- up
ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;

-- down
ALTER TABLE users DROP COLUMN active;
