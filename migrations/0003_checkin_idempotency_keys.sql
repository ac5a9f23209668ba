-- Idempotency-Key of POST /api/v1/checkins: the primary key makes a retried or concurrent request with
-- the same key find the first one's answer instead of storing a second row.
CREATE TABLE checkin_idempotency_keys (
  key          text PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 200),
  -- sha256 of the canonical request body: the same key with another body is refused.
  request_hash text NOT NULL,
  -- The entry this key answered with (NULL only inside the transaction that claims the key).
  checkin_id   bigint REFERENCES checkins (id),
  -- True when the request was answered with an existing entry (duplicate within the window).
  duplicate    boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- For a future clean-up of old keys.
CREATE INDEX checkin_idempotency_keys_created_idx ON checkin_idempotency_keys (created_at);
