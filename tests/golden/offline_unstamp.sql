-- pelican offline script: stamp, 2 revisions.
-- History tables: "public"."pelican_revisions" and "public"."pelican_log".
-- Run it with: psql -v ON_ERROR_STOP=1 -X -f <this file>
-- (ON_ERROR_STOP makes psql stop at the first error instead of running what follows).

-- Unstamping m, b (records deleted, nothing run)
BEGIN;
DELETE FROM "public"."pelican_revisions" WHERE revision = 'm';
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('m', 'unstamp', 'ok', NULL, NULL, NULL);
DELETE FROM "public"."pelican_revisions" WHERE revision = 'b';
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('b', 'unstamp', 'ok', NULL, NULL, NULL);
COMMIT;
