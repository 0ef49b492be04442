-- The catalog work each journey has submitted and that waits for the program office's review
-- (the web app's review queue). The rows are folded again from the event log to fill it.
ALTER TABLE program_journeys ADD COLUMN awaiting_review jsonb NOT NULL DEFAULT '[]';
TRUNCATE program_journeys;
DELETE FROM projection_checkpoints WHERE name = 'program_journeys';
