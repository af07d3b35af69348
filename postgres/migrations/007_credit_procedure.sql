-- coinop_credit is the locked part of Store.Credit (without an
-- Idempotency-Key) as one statement: one round trip and one commit instead
-- of a round trip per statement, so that the bank's row, which every
-- credit takes, is held for microseconds, not round trips. The checks that
-- need no lock (value, game, client, payout limit) stay in Go; the rest is
-- check for check as credit in internal/sqlstore/wallet.go, with refusals
-- as codes the Go side turns into the same errors:
--   0 done: op_id, names and new balances are set;
--   3 no such person;
--   4 inside the window: detail is the time of the game's last credit;
--   5 the bank cannot pay.
-- Locks: the person, then the bank, like every other writer. The bank pays
-- first, so that a bank without the money leaves nothing to undo.
CREATE FUNCTION coinop_credit(p_to BIGINT, p_product BIGINT, p_value BIGINT, p_window_start BIGINT, p_now BIGINT,
    OUT code INT, OUT detail BIGINT, OUT op_id BIGINT,
    OUT from_name TEXT, OUT from_balance BIGINT, OUT to_name TEXT, OUT to_balance BIGINT)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM people WHERE id = p_to FOR UPDATE;
    IF NOT FOUND THEN
        code := 3;
        RETURN;
    END IF;
    IF p_window_start IS NOT NULL THEN
        SELECT MAX(created_at) INTO detail FROM operations
            WHERE kind = 'credit' AND to_id = p_to AND product_id = p_product AND created_at > p_window_start;
        IF detail IS NOT NULL THEN
            code := 4;
            RETURN;
        END IF;
    END IF;
    UPDATE people SET balance = balance - p_value WHERE id = 1 AND balance >= p_value
        RETURNING name, balance INTO from_name, from_balance;
    IF NOT FOUND THEN
        code := 5;
        RETURN;
    END IF;
    UPDATE people SET balance = balance + p_value WHERE id = p_to
        RETURNING name, balance INTO to_name, to_balance;
    INSERT INTO operations (kind, from_id, to_id, product_id, value, status, created_at, settled_at)
        VALUES ('credit', 1, p_to, p_product, p_value, 'completed', p_now, p_now)
        RETURNING id INTO op_id;
    code := 0;
END $$;
