-- Run once by the postgres image on an empty volume: the Prefect server's own database.
-- The platform database (datamart), its schemas and roles are made by `ecom db init` (db-init).
CREATE DATABASE prefect;
