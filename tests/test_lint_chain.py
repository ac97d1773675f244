"""A long migration chain: linting the folder once gives, for every file, what linting that
file alone (against the schema its earlier siblings build) gives."""

from __future__ import annotations

from _lint_support import lint, write_chain

N_FILES = 300


def _file(i: int) -> tuple[str, str]:
    """up and down SQL of file ``i``: tables, indexes, columns, renames, pragmas, temp
    tables, and a few mistakes the linter reports."""
    t = f"t{i - i % 6}"
    kind = i % 6
    if kind == 0:
        up = (f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, code TEXT UNIQUE, "
              f"label TEXT NOT NULL DEFAULT '');\n"
              f"CREATE INDEX IF NOT EXISTS idx_{t}_label ON {t}(label);")
        down = f"DROP TABLE IF EXISTS {t};"
    elif kind == 1:
        up = (f"ALTER TABLE {t} ADD COLUMN note TEXT;\n"
              f"CREATE INDEX IF NOT EXISTS idx_{t}_note ON {t}(note);")
        down = f"DROP INDEX IF EXISTS idx_{t}_note;\nALTER TABLE {t} DROP COLUMN note;"
    elif kind == 2:
        # the down() drops a key column (QS131) and leaves the index up() creates
        up = f"CREATE INDEX IF NOT EXISTS idx_{t}_code ON {t}(code);"
        down = f"ALTER TABLE {t} DROP COLUMN code;\nPRAGMA legacy_alter_table = ON;"
    elif kind == 3:
        up = (f"CREATE TEMP TABLE scratch_{t} (x);\n"
              f"CREATE TABLE {t}_old (id INTEGER PRIMARY KEY);\n"
              f"ALTER TABLE {t} DROP COLUMN label;")
        down = (f"DROP TABLE {t}_old;\nALTER TABLE {t} ADD COLUMN label TEXT;\n"
                f"SELECT * FROM scratch_{t};")
    elif kind == 4:
        up = (f"CREATE TABLE new_{t} (id INTEGER PRIMARY KEY, ref INTEGER REFERENCES {t}(id));\n"
              f"ALTER TABLE {t} RENAME COLUMN note TO remark;\n"
              f"UPDATE {t} SET remark = 'x' WHERE missing_column = 1;")
        down = f"ALTER TABLE {t} RENAME COLUMN remark TO note;\nDROP TABLE new_{t};"
    else:
        up = f"ALTER TABLE {t} DROP COLUMN code;\nDROP TABLE {t};"
        down = "SELECT 1;"
    return up, down


def test_a_long_chain_lints_each_file_as_its_own_chain_does(tmp_path):
    folder = tmp_path / "migrations"
    files = write_chain(folder, [_file(i) for i in range(1, N_FILES + 1)])
    whole = lint([folder], cwd=tmp_path)
    assert {f.code for f in whole} >= {"QS131", "QS207"}
    picked = files[:13] + files[140:143] + files[-3:]
    for path in picked:
        alone = lint([path], cwd=tmp_path)
        mine = [f for f in whole if f.path == str(path)]
        assert [(f.line, f.column, f.code, f.severity, f.message) for f in alone] == \
            [(f.line, f.column, f.code, f.severity, f.message) for f in mine], path.name
