-- revision: u1
-- message: create users

-- up
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE
);

-- down
DROP TABLE users;
