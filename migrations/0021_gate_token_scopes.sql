-- Least privilege for gate tokens: what a token may do is chosen when it is made, and it may expire.
-- Tokens made before this keep what they could always do (check in and read attendance).
ALTER TABLE gate_tokens
  ADD COLUMN scopes     text[] NOT NULL DEFAULT '{checkin,read}'
                        CHECK (scopes <@ '{checkin,read}'::text[] AND cardinality(scopes) > 0),
  ADD COLUMN expires_at timestamptz;
