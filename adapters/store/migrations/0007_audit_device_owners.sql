-- Audit: every event of a device is about the device's owner. The audit projection now keeps
-- each device as a principal naming its owner, learnt from DeviceRegistered; devices registered
-- before it learnt them get theirs from the store here, and the device entries already written
-- without a target get the owner, named as the log knows the owner now (a rebuild of the audit
-- projection names them as they were then).
SET LOCAL client_min_messages = warning;

INSERT INTO audit_principals (principal_id, last_sequence, doc)
SELECT aggregate_id::uuid, sequence,
       jsonb_build_object('owner', payload -> 'DeviceRegistered' ->> 'user_id')
  FROM events
 WHERE aggregate_type = 'device' AND event_type = 'DeviceRegistered'
ON CONFLICT (principal_id) DO NOTHING;

UPDATE audit_log AS a
   SET target_id = d.owner,
       target_username = COALESCE(NULLIF(u.doc ->> 'username', ''), NULLIF(u.doc ->> 'email', ''))
  FROM (SELECT principal_id, (doc ->> 'owner')::uuid AS owner
          FROM audit_principals WHERE doc ? 'owner') AS d
  LEFT JOIN audit_principals AS u ON u.principal_id = d.owner
 WHERE a.aggregate_type = 'device'
   AND a.aggregate_id = d.principal_id
   AND a.target_id IS NULL;
