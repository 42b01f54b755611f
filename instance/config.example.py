# Copy to instance/config.py and adjust. Environment variables BIOBANK_<NAME> override these.
SECRET_KEY = "replace with the output of: python -c 'import secrets; print(secrets.token_hex(32))'"
# PostgreSQL for multi-user deployments (empty: SQLite file instance/biobank.db):
# DATABASE_URL = "postgresql+psycopg://biobank@127.0.0.1:5432/biobank"
# Characters a keyboard-wedge scanner is programmed to add around each code:
# SCANNER_PREFIXES = ("]C0",)
# SCANNER_SUFFIXES = ()
# A current ClinVar VCF for the MEN1 engine (empty: the engine's shipped 2021 sample); then
# run `flask --app biobank reclassify` (dry run) and `... reclassify --apply`:
# MEN1_KNOWN_VARIANTS = "/srv/biobank/clinvar/clinvar_20261201.vcf.gz"
