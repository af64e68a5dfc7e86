-- The inventory reads every passkey: keep the leaf attestation certificate's thumbprint in its own column and cover
-- the inventory's columns with one index, so that an export reads the index and not the wide rows (their webauthn
-- and details documents). Keep in step with ../sqlite/0003_inventory.sql.
ALTER TABLE credentials ADD COLUMN attestation_thumbprint TEXT;
UPDATE credentials SET attestation_thumbprint = (details::jsonb -> 'attestationCertificates' ->> 0);
CREATE INDEX credentials_inventory ON credentials (user_id, created_at, id, display_name, aaguid, model,
    attestation_level, passkey_type, last_used_at, admitting_profile, attestation_thumbprint);
-- The inventory per model counts passkeys per AAGUID, type and attestation level in this index's order.
CREATE INDEX credentials_models ON credentials (aaguid, passkey_type, attestation_level, model);
