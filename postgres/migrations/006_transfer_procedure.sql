-- coinop_transfers is Store.Transfer (without an Idempotency-Key) for
-- several transfers at once, in one transaction: one round trip and one
-- commit for as many transfers as arrived together, instead of a round trip
-- per statement for each. Every account involved is locked first, in id
-- order like every other writer, so that batches running at once (in this
-- process or another) cannot deadlock. Then each transfer, in order, is
-- checked and applied on its own, check for check as transfer in
-- internal/sqlstore/wallet.go does it; a refusal is a code, which the Go
-- side turns into the same errors, and refuses that transfer alone:
--   0 done: op_id, names and new balances are set;
--   1 insufficient funds: detail is the payer's balance (-1: no such payer);
--   2 not a positive value to another person;
--   3 no such recipient;
--   4 inside the window: detail is the time of the payer's last transfer.
-- p_window_start[n] NULL: no window for transfer n.
CREATE FUNCTION coinop_transfers(p_from BIGINT[], p_to BIGINT[], p_value BIGINT[], p_window_start BIGINT[], p_now BIGINT)
RETURNS TABLE (i INT, code INT, detail BIGINT, op_id BIGINT,
    from_name TEXT, from_balance BIGINT, to_name TEXT, to_balance BIGINT)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM people WHERE id = ANY (p_from || p_to) ORDER BY id FOR UPDATE;
    FOR n IN 1 .. cardinality(p_from) LOOP
        i := n;
        op_id := NULL; from_name := NULL; from_balance := NULL; to_name := NULL; to_balance := NULL;
        detail := COALESCE((SELECT balance FROM people WHERE id = p_from[n]), -1);
        IF p_value[n] > detail THEN
            code := 1;
        ELSIF p_value[n] < 1 OR p_to[n] = p_from[n] OR p_to[n] = 1 THEN
            code := 2;
        ELSIF NOT EXISTS (SELECT 1 FROM people WHERE id = p_to[n]) THEN
            code := 3;
        ELSE
            detail := NULL;
            IF p_window_start[n] IS NOT NULL THEN
                SELECT MAX(created_at) INTO detail FROM operations
                    WHERE kind = 'transfer' AND from_id = p_from[n] AND created_at > p_window_start[n];
            END IF;
            IF detail IS NOT NULL THEN
                code := 4;
            ELSE
                UPDATE people SET balance = balance - p_value[n] WHERE id = p_from[n]
                    RETURNING name, balance INTO from_name, from_balance;
                UPDATE people SET balance = balance + p_value[n] WHERE id = p_to[n]
                    RETURNING name, balance INTO to_name, to_balance;
                INSERT INTO operations (kind, from_id, to_id, value, status, created_at, settled_at)
                    VALUES ('transfer', p_from[n], p_to[n], p_value[n], 'completed', p_now, p_now)
                    RETURNING id INTO op_id;
                code := 0;
            END IF;
        END IF;
        RETURN NEXT;
    END LOOP;
END $$;
