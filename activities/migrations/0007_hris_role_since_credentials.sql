-- What catalog programs ask of HR beyond a title: since when the employee holds the current
-- role (years in role: Induction's first three years) and the credentials HR lists.
ALTER TABLE hris_employees
    ADD COLUMN IF NOT EXISTS role_since date,
    ADD COLUMN IF NOT EXISTS credentials text[] NOT NULL DEFAULT '{}';
