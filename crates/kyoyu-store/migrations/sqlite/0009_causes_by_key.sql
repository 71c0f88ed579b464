-- A `?cause=` page walks the (cause, row_id) key newest first. With a second index on row_id
-- alone PostgreSQL preferred walking every cause row by row_id and filtering on the cause;
-- the read model's deletes now name the causes, so they use the key as well.
DROP INDEX report_list_causes_row;
