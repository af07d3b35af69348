-- When the machine reported that it was releasing the item (stateUpdate
-- releasing). A late "back to idle" completes an unknown operation only
-- if the release itself was reported: idle alone may be a cancel.
ALTER TABLE operations ADD COLUMN releasing_at INTEGER;
