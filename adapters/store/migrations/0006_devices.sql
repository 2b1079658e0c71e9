-- Devices: finding a user's devices in the store, to end their trust when the user's password
-- changes, their authenticator is reset, or they are locked or disabled, and to list them. Read
-- from the store, not a view, so a device trusted a moment ago is not missed.
SET LOCAL client_min_messages = warning;

CREATE INDEX IF NOT EXISTS events_device_owner
    ON events ((payload -> 'DeviceRegistered' ->> 'user_id'))
    WHERE aggregate_type = 'device' AND event_type = 'DeviceRegistered';
