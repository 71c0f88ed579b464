-- Workers claim the due rows of the channels they can deliver, oldest first: with this index
-- a claim reads only those rows, however many of another channel are waiting.
CREATE INDEX outbox_claim ON outbox(status, channel, id);
-- The route rules load every sector ministry and NISC among ten thousand operators.
CREATE INDEX org_roles_role ON org_roles(role, org_id);
