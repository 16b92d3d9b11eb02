-- Consent (Art. 7(1) DSGVO): which of a contact's fields the person agreed to show to
-- everyone (`publish`, canonical comma-separated list of name, role, email, phone; '' is
-- internal only) and the record of that consent. Contacts that were `public` are migrated to
-- all four fields with a consent recorded by the service at migration time.
ALTER TABLE municipality_contacts ADD COLUMN publish TEXT NOT NULL DEFAULT '';
ALTER TABLE municipality_contacts ADD COLUMN consent_recorded_at TIMESTAMPTZ;
ALTER TABLE municipality_contacts ADD COLUMN consent_recorded_by_kind TEXT;
ALTER TABLE municipality_contacts ADD COLUMN consent_recorded_by TEXT;
ALTER TABLE municipality_contacts ADD COLUMN consent_withdrawn_at TIMESTAMPTZ;
UPDATE municipality_contacts
SET publish = 'name,role,email,phone',
    consent_recorded_at = now(),
    consent_recorded_by_kind = 'system'
WHERE public;
ALTER TABLE municipality_contacts DROP COLUMN public;

-- Failed logins are now counted under keyed hashes of the e-mail and the address: the old
-- rows name both in clear, and only throttle for 15 minutes.
DELETE FROM login_failures;

-- A deleted user's password hash goes at once (restoring the user brings the account back
-- without a password).
UPDATE users SET password_hash = '' WHERE deleted_at IS NOT NULL;

-- Every erasure (Art. 17) stays on record without the erased data: who, when, why, counts.
CREATE TABLE privacy_erasures (
    id UUID PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    reason TEXT NOT NULL,
    found TEXT NOT NULL
);
CREATE INDEX privacy_erasures_at ON privacy_erasures (at);
