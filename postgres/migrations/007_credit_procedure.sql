-- coinop_credits is the locked part of Store.Credit (without an
-- Idempotency-Key) for several games' credits at once, in one transaction:
-- one round trip and one commit for as many credits as arrived together,
-- and one update of the bank's row, which every credit takes, instead of a
-- round trip per statement for each and the bank's row queued for by all.
-- The checks that need no lock (value, game, client, payout limit) stay in
-- Go; the rest is check for check as credit in internal/sqlstore/credit.go,
-- each credit on its own and in order, with refusals as codes the Go side
-- turns into the same errors:
--   0 done: op_id, names and new balances are set;
--   3 no such person;
--   4 inside the window: detail is the time of the game's last credit;
--   5 the bank cannot pay.
-- Locks: the people in id order, then the bank, like every other writer.
-- p_window_start[n] NULL: no window for credit n.
CREATE FUNCTION coinop_credits(p_to BIGINT[], p_product BIGINT[], p_value BIGINT[], p_window_start BIGINT[], p_now BIGINT)
RETURNS TABLE (i INT, code INT, detail BIGINT, op_id BIGINT,
    from_name TEXT, from_balance BIGINT, to_name TEXT, to_balance BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    bank BIGINT;
    bank_name TEXT;
    paid BIGINT := 0;
BEGIN
    PERFORM 1 FROM people WHERE id = ANY (p_to) AND id <> 1 ORDER BY id FOR UPDATE;
    SELECT balance, name INTO bank, bank_name FROM people WHERE id = 1 FOR UPDATE;
    FOR n IN 1 .. cardinality(p_to) LOOP
        i := n;
        detail := NULL; op_id := NULL; to_name := NULL; to_balance := NULL;
        from_name := NULL; from_balance := NULL;
        IF p_window_start[n] IS NOT NULL THEN
            SELECT MAX(created_at) INTO detail FROM operations
                WHERE kind = 'credit' AND to_id = p_to[n] AND product_id = p_product[n] AND created_at > p_window_start[n];
        END IF;
        IF NOT EXISTS (SELECT 1 FROM people WHERE id = p_to[n]) THEN
            code := 3;
        ELSIF detail IS NOT NULL THEN
            code := 4;
        ELSIF bank < p_value[n] THEN
            code := 5;
        ELSE
            bank := bank - p_value[n];
            paid := paid + p_value[n];
            UPDATE people SET balance = balance + p_value[n] WHERE id = p_to[n]
                RETURNING name, balance INTO to_name, to_balance;
            INSERT INTO operations (kind, from_id, to_id, product_id, value, status, created_at, settled_at)
                VALUES ('credit', 1, p_to[n], p_product[n], p_value[n], 'completed', p_now, p_now)
                RETURNING id INTO op_id;
            from_name := bank_name;
            from_balance := bank;
            code := 0;
        END IF;
        RETURN NEXT;
    END LOOP;
    UPDATE people SET balance = balance - paid WHERE id = 1;
END $$;
