CREATE TABLE surveys (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL,
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    anonymous BOOLEAN NOT NULL DEFAULT FALSE,
    results_public BOOLEAN NOT NULL DEFAULT FALSE,
    opened_at TIMESTAMP,
    closed_at TIMESTAMP,
    -- Keys the answers of an anonymous survey; wiped when the survey closes.
    response_salt TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX surveys_updated_at ON surveys (updated_at);
CREATE INDEX surveys_opens_at ON surveys (opens_at);

CREATE TABLE survey_questions (
    id TEXT PRIMARY KEY NOT NULL,
    survey_id TEXT NOT NULL REFERENCES surveys (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    question_text TEXT NOT NULL,
    help TEXT,
    required BOOLEAN NOT NULL DEFAULT FALSE,
    scale_min INTEGER,
    scale_max INTEGER,
    scale_min_label TEXT,
    scale_max_label TEXT,
    range_min DOUBLE PRECISION,
    range_max DOUBLE PRECISION
);
CREATE INDEX survey_questions_survey ON survey_questions (survey_id);

CREATE TABLE survey_options (
    id TEXT PRIMARY KEY NOT NULL,
    question_id TEXT NOT NULL REFERENCES survey_questions (id),
    survey_id TEXT NOT NULL REFERENCES surveys (id),
    position INTEGER NOT NULL,
    label TEXT NOT NULL
);
CREATE INDEX survey_options_survey ON survey_options (survey_id);

-- Who answered (for the response rate and so a municipality can replace its response).
CREATE TABLE survey_participations (
    id TEXT PRIMARY KEY NOT NULL,
    survey_id TEXT NOT NULL REFERENCES surveys (id),
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    version INTEGER NOT NULL DEFAULT 1,
    submitted_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX survey_participations_municipality_id_unique
    ON survey_participations (survey_id, municipality_id);

-- What was answered, under an opaque key and without municipality or time.
CREATE TABLE survey_responses (
    response_key TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    survey_id TEXT NOT NULL REFERENCES surveys (id)
);
CREATE INDEX survey_responses_survey ON survey_responses (survey_id);

CREATE TABLE survey_answers (
    response_key TEXT COLLATE "C" NOT NULL REFERENCES survey_responses (response_key),
    survey_id TEXT NOT NULL REFERENCES surveys (id),
    question_id TEXT NOT NULL REFERENCES survey_questions (id),
    seq INTEGER NOT NULL,
    option_id TEXT REFERENCES survey_options (id),
    number_value DOUBLE PRECISION,
    bool_value BOOLEAN,
    text_value TEXT,
    PRIMARY KEY (response_key, question_id, seq)
);
CREATE INDEX survey_answers_survey ON survey_answers (survey_id);
