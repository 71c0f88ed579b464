-- Full-text search (see ARCHITECTURE.md, "Search"). The text of each view is kept twice: as
-- shown (for snippets) and folded (NFKC, lower case: what is indexed and matched). A GIN
-- index of pg_trgm trigrams serves LIKE '%word%' for words of three characters or more; two-
-- character words are matched on the rows the other conditions leave. pg_trgm goes into a
-- schema of its own (or stays where an administrator installed it), so that every kyoyu
-- schema of one database finds its operator class by a qualified name.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE SCHEMA IF NOT EXISTS kyoyu_ext;
        CREATE EXTENSION pg_trgm WITH SCHEMA kyoyu_ext;
    END IF;
END $$;
DROP TABLE report_search;
CREATE TABLE report_search (
    row_id BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    folded TEXT NOT NULL
);

ALTER TABLE advisory_list DROP COLUMN search_text;
CREATE TABLE advisory_search (
    advisory_id BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    folded TEXT NOT NULL
);

DO $$
DECLARE
    ext TEXT;
BEGIN
    SELECT n.nspname INTO ext FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX report_search_trgm ON report_search USING gin (folded %I.gin_trgm_ops)', ext);
    EXECUTE format('CREATE INDEX advisory_search_trgm ON advisory_search USING gin (folded %I.gin_trgm_ops)', ext);
END $$;

-- The period facets and statistics group by these: the month (JST) and the Japanese fiscal
-- year (April to March) an item was reported or published in.
ALTER TABLE report_list ADD COLUMN reported_month TEXT NOT NULL DEFAULT '';
ALTER TABLE report_list ADD COLUMN fiscal_year BIGINT NOT NULL DEFAULT 0;
CREATE INDEX report_list_fiscal_year ON report_list(fiscal_year, row_id);
ALTER TABLE advisory_list ADD COLUMN fiscal_year BIGINT;

-- Synonym groups (kyoyu admin synonyms): spellings, folded, that a search treats as one.
CREATE TABLE search_synonyms (
    term TEXT PRIMARY KEY,
    group_id BIGINT NOT NULL
);
CREATE INDEX search_synonyms_group ON search_synonyms(group_id);
INSERT INTO search_synonyms (term, group_id) VALUES
    ('改竄', 1), ('改ざん', 1),
    ('漏洩', 2), ('漏えい', 2),
    ('脆弱性', 3), ('ぜい弱性', 3),
    ('毀損', 4), ('き損', 4),
    ('ランサムウェア', 5), ('ransomware', 5),
    ('マルウェア', 6), ('malware', 6), ('不正プログラム', 6);
