-- One data key per person: the personal fields of their events (names, e-mail addresses, the
-- reasons they gave) are stored sealed with it, and it is stored wrapped by the district's
-- master key, which is kept outside the database (PAYLOAD_KEYS). Erasing a person destroys
-- their key (crypto-shredding): their events stay, hash chains intact, with the personal fields
-- unreadable. A row is never deleted; its key is set to NULL once, and never back.
CREATE TABLE person_keys (
    person_id   text PRIMARY KEY,
    master_key  text NOT NULL,
    wrapped     bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    erased_at   timestamptz,
    erased_by   text,
    CHECK ((wrapped IS NULL) = (erased_at IS NOT NULL))
);

CREATE FUNCTION person_keys_only_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a person key is erased, never deleted'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.wrapped IS NULL OR NEW.wrapped IS NOT NULL OR NEW.person_id <> OLD.person_id THEN
        RAISE EXCEPTION 'a person key can only be erased, once'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER person_keys_erase_only
    BEFORE UPDATE OR DELETE ON person_keys
    FOR EACH ROW EXECUTE FUNCTION person_keys_only_erased();

CREATE FUNCTION person_keys_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'person keys are erased one at a time, never truncated'
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER person_keys_no_truncate
    BEFORE TRUNCATE ON person_keys
    FOR EACH STATEMENT EXECUTE FUNCTION person_keys_no_truncate();
