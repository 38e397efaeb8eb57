-- A national-scale data set for benchmarks (PostgreSQL): 1 000 conventions, each with
-- 40 actions, 36 indicators measured monthly for 40 months (1,44 million measurements),
-- 14 facilities with three years of activity, and 50 funding lines. Format v2: a plan of 4 enjeux
-- and 10 objectifs holding the actions, and one indicator measured per commune as well.
INSERT INTO organisations (code, name, type)
SELECT 'org-' || g, 'Organisation ' || g, 'commune' FROM generate_series(1, 2000) g;
INSERT INTO communes (insee_code, name) SELECT lpad(g::text, 5, '0'), 'Commune ' || g FROM generate_series(1, 1000) g;
INSERT INTO conventions (code, name, starts_on, ends_on, signed_on, created_at, updated_at)
SELECT 'ctg-' || g, 'CTG ' || g, DATE '2023-06-01', DATE '2027-05-31', DATE '2023-05-30', now(), now()
FROM generate_series(1, 1000) g;
INSERT INTO perimeter (convention_id, insee_code) SELECT id, lpad(id::text, 5, '0') FROM conventions;
INSERT INTO signatories (convention_id, organisation_id) SELECT id, id FROM conventions;
INSERT INTO actions (convention_id, code, title, domain_code, pilot_id, status, starts_on, ends_on, progress,
                     weight, version, created_at, updated_at)
SELECT c.id, 'A-' || a, 'Action ' || a, d.code, c.id,
       (ARRAY['a_venir', 'en_cours', 'en_pause', 'realisee', 'abandonnee'])[1 + a % 5],
       DATE '2023-06-01', DATE '2024-01-01' + (a * 30), CASE WHEN a % 3 = 0 THEN a * 2 END, 1, 1, now(), now()
FROM conventions c CROSS JOIN generate_series(1, 40) a
JOIN domains d ON d.position = 1 + a % 10;
INSERT INTO indicators (convention_id, code, name, domain_code, unit, direction, baseline_value, baseline_date,
                        target_value, target_date, frequency, version, created_at, updated_at)
SELECT c.id, 'I-' || i, 'Indicateur ' || i, d.code, 'u', 'hausse', 10, DATE '2022-12-31', 20 + i % 7,
       DATE '2027-05-31', 'mensuelle', 1, now(), now()
FROM conventions c CROSS JOIN generate_series(1, 36) i
JOIN domains d ON d.position = 1 + i % 10;
INSERT INTO measurements (indicator_id, measured_on, value, type, recorded_by, recorded_at)
SELECT i.id, (DATE '2023-06-30' + (k * INTERVAL '1 month'))::date, 10 + k * 0.25 + (i.id % 5), 'resultat', 'bench', now()
FROM indicators i CROSS JOIN generate_series(0, 39) k;
INSERT INTO facilities (convention_id, code, name, type, insee_code, manager_id, places, psu, territory_class,
                        opens_on, version, created_at, updated_at)
SELECT c.id, 'E-' || f, 'Équipement ' || f, (ARRAY['eaje', 'alsh', 'rpe', 'laep'])[1 + f % 4],
       lpad(c.id::text, 5, '0'), c.id, 20 + f, true, '', DATE '2010-01-01', 1, now(), now()
FROM conventions c CROSS JOIN generate_series(1, 14) f;
INSERT INTO facility_activity (facility_id, year, places, hours_delivered, hours_billed, fte, version, updated_at)
SELECT e.id, y, e.places, e.places * 1600, e.places * 1700, 1, 1, now()
FROM facilities e CROSS JOIN generate_series(2023, 2025) y;
INSERT INTO rate_rows (year, lever_code, facility_type, territory_class, basis, amount, version, updated_at)
SELECT y, 'bonus_territoire', t.type, '', t.basis, t.amount, 1, now()
FROM generate_series(2023, 2026) y CROSS JOIN (VALUES ('eaje', 'par_place', 3100), ('alsh', 'par_heure', 0.54),
                                                      ('rpe', 'forfait', 12000), ('laep', 'forfait', 6000)) AS t(type, basis, amount);
INSERT INTO funding_lines (convention_id, lever_code, year, funder_id, beneficiary_id, facility_id, domain_code,
                           planned, notified, paid, version, created_at, updated_at)
SELECT e.convention_id, 'bonus_territoire', y, 1, e.manager_id, e.id, 'petite_enfance', 50000, 49000, 45000, 1, now(), now()
FROM facilities e CROSS JOIN generate_series(2023, 2025) y;
INSERT INTO orientations (convention_id, code, title, version)
SELECT c.id, 'E-' || e, 'Enjeu ' || e, 1 FROM conventions c CROSS JOIN generate_series(1, 4) e;
INSERT INTO orientations (convention_id, code, parent_id, domain_code, title, version)
SELECT c.id, 'O-' || o, p.id, d.code, 'Objectif ' || o, 1
FROM conventions c CROSS JOIN generate_series(1, 10) o
JOIN orientations p ON p.convention_id = c.id AND p.code = 'E-' || (1 + o % 4)
JOIN domains d ON d.position = o;
UPDATE actions a SET orientation_id = o.id
FROM orientations o
WHERE o.convention_id = a.convention_id AND o.code = 'O-' || (1 + substring(a.code FROM 3)::int % 10);
INSERT INTO measurements (indicator_id, measured_on, value, type, insee_code, recorded_by, recorded_at)
SELECT i.id, (DATE '2023-06-30' + (k * INTERVAL '1 month'))::date, 5 + k * 0.1, 'resultat', p.insee_code, 'bench', now()
FROM indicators i JOIN perimeter p ON p.convention_id = i.convention_id CROSS JOIN generate_series(0, 39) k
WHERE i.code = 'I-1';
INSERT INTO audit_events (at, actor, operation, table_name, record_key) VALUES (now(), 'bench', 'bench', 'bench', '0');
ANALYZE;
