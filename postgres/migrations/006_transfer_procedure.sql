-- coinop_transfer is Store.Transfer (without an Idempotency-Key) as one
-- statement, so that a transfer costs one round trip and one commit
-- instead of one round trip per statement. It follows the Go code in
-- internal/sqlstore/wallet.go check for check, and reports the outcome as a
-- code the Go side turns into the same errors:
--   0 done: op_id, names and new balances are set;
--   1 insufficient funds: detail is the payer's balance (-1: no such payer);
--   2 not a positive value to another person;
--   3 no such recipient;
--   4 inside the window: detail is the time of the last transfer.
-- Both accounts are locked first, in id order, like every other writer.
CREATE FUNCTION coinop_transfer(p_from BIGINT, p_to BIGINT, p_value BIGINT, p_window_start BIGINT, p_now BIGINT,
    OUT code INT, OUT detail BIGINT, OUT op_id BIGINT,
    OUT from_name TEXT, OUT from_balance BIGINT, OUT to_name TEXT, OUT to_balance BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
    found_to BOOLEAN := false;
BEGIN
    detail := -1;
    FOR r IN SELECT id, balance FROM people WHERE id IN (p_from, p_to) ORDER BY id FOR UPDATE LOOP
        IF r.id = p_from THEN
            detail := r.balance;
        END IF;
        found_to := found_to OR r.id = p_to;
    END LOOP;
    IF p_value > detail THEN
        code := 1;
        RETURN;
    END IF;
    IF p_value < 1 OR p_to = p_from OR p_to = 1 THEN
        code := 2;
        RETURN;
    END IF;
    IF NOT found_to THEN
        code := 3;
        RETURN;
    END IF;
    IF p_window_start IS NOT NULL THEN
        SELECT MAX(created_at) INTO detail FROM operations
            WHERE kind = 'transfer' AND from_id = p_from AND created_at > p_window_start;
        IF detail IS NOT NULL THEN
            code := 4;
            RETURN;
        END IF;
    END IF;
    UPDATE people SET balance = balance - p_value WHERE id = p_from
        RETURNING name, balance INTO from_name, from_balance;
    UPDATE people SET balance = balance + p_value WHERE id = p_to
        RETURNING name, balance INTO to_name, to_balance;
    INSERT INTO operations (kind, from_id, to_id, value, status, created_at, settled_at)
        VALUES ('transfer', p_from, p_to, p_value, 'completed', p_now, p_now)
        RETURNING id INTO op_id;
    code := 0;
    detail := NULL;
END $$;

-- coinop_transfers runs several transfers in one transaction, in order,
-- each as coinop_transfer would alone: one round trip and one commit for
-- as many transfers as arrived together. Every account involved is locked
-- first, in id order, so that batches running at once (from this process
-- or another) cannot deadlock. p_window_start[i] NULL means no window.
CREATE FUNCTION coinop_transfers(p_from BIGINT[], p_to BIGINT[], p_value BIGINT[], p_window_start BIGINT[], p_now BIGINT)
RETURNS TABLE (i INT, code INT, detail BIGINT, op_id BIGINT,
    from_name TEXT, from_balance BIGINT, to_name TEXT, to_balance BIGINT)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM people WHERE id = ANY (p_from || p_to) ORDER BY id FOR UPDATE;
    FOR n IN 1 .. cardinality(p_from) LOOP
        RETURN QUERY SELECT n, t.* FROM coinop_transfer(p_from[n], p_to[n], p_value[n], p_window_start[n], p_now) t;
    END LOOP;
END $$;
