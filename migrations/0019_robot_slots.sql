-- Send slots of the WeCom and DingTalk group robots (issue 10): each robot takes at most
-- 20 messages a minute (DingTalk blocks a robot for 10 minutes beyond that), across every
-- server. A robot (`robot`: a keyed hash of its URL, never the URL) has 20 slots; a send
-- first takes a slot whose `free_at` has passed with a conditional UPDATE (two servers
-- cannot take the same slot), setting `free_at` to the latest moment the message could
-- still arrive plus a minute; when the send ends, `free_at` becomes its end plus a
-- minute. So any 60 seconds hold at most 20 arrivals per robot.
CREATE TABLE robot_slots (
    robot    TEXT NOT NULL,
    slot     BIGINT NOT NULL,
    free_at  BIGINT NOT NULL,
    PRIMARY KEY (robot, slot)
);
