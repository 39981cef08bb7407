/* A database workload: SQLite (Debian's libsqlite3.a, statically linked) on one file with
 * the default rollback journal, so the run creates, fsyncs and deletes DBFILE-journal once
 * per transaction and takes fcntl record locks on DBFILE.
 *
 *   sqlite-demo DBFILE           build a fresh database (10 transactions of 1,000 rows
 *                                through prepared statements), query, update, delete, and
 *                                print every result; the output is deterministic
 *   sqlite-demo --check DBFILE   PRAGMA integrity_check and the row count of an existing
 *                                database; exit status 0 only when the check says "ok"
 *   sqlite-demo --wal DBFILE     the same rows in WAL mode, with a second process reading
 *                                (and at the end writing) through its own connection after
 *                                every transaction: the two meet in DBFILE-shm, a shared
 *                                file mapping
 *
 * Any SQLite error prints a message on stderr and exits with status 1. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROWS 10000
#define ROWS_PER_TX 1000

static sqlite3 *db;

static void die(const char *what) {
    fprintf(stderr, "sqlite-demo: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
    exit(1);
}

static void exec(const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite-demo: %s: %s\n", sql, err ? err : "error");
        exit(1);
    }
}

static sqlite3_stmt *prepare(const char *sql) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die(sql);
    return st;
}

/* Run a query and print "title:" then each row as its columns joined by '|'. Returns the
 * number of rows. */
static int query(const char *title, const char *sql) {
    sqlite3_stmt *st = prepare(sql);
    int rows = 0, rc;
    printf("%s:\n", title);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        printf("  ");
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            printf("%s%s", i ? "|" : "", v ? (const char *)v : "NULL");
        }
        printf("\n");
        rows++;
    }
    if (rc != SQLITE_DONE) die(sql);
    sqlite3_finalize(st);
    return rows;
}

static void open_db(const char *path, int flags) {
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) die(path);
}

/* A deterministic pseudo-random sequence (the C standard's example rand()). */
static unsigned long next = 1;
static unsigned pseudo_random(void) {
    next = next * 1103515245 + 12345;
    return (unsigned)(next / 65536) % 32768;
}

/* Run after each committed transaction of fill() (the WAL mode's reader), or NULL. */
static void (*after_commit)(void);

static void fill(void) {
    static const char *const categories[] = {"tools", "garden", "books", "toys", "food"};
    sqlite3_stmt *ins = prepare("INSERT INTO items(name, category, qty, price, payload) VALUES (?, ?, ?, ?, ?)");
    unsigned char payload[32];
    char name[32];
    for (int tx = 0; tx < ROWS / ROWS_PER_TX; tx++) {
        exec("BEGIN");
        for (int j = 0; j < ROWS_PER_TX; j++) {
            int i = tx * ROWS_PER_TX + j + 1;
            for (size_t b = 0; b < sizeof payload; b++) payload[b] = (unsigned char)pseudo_random();
            snprintf(name, sizeof name, "item-%05d", i);
            sqlite3_bind_text(ins, 1, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 2, categories[pseudo_random() % 5], -1, SQLITE_STATIC);
            sqlite3_bind_int(ins, 3, (int)(pseudo_random() % 100));
            sqlite3_bind_double(ins, 4, pseudo_random() / 100.0); /* 0.00 .. 327.67 */
            sqlite3_bind_blob(ins, 5, payload, (int)(pseudo_random() % sizeof payload) + 1, SQLITE_TRANSIENT);
            if (sqlite3_step(ins) != SQLITE_DONE) die("insert");
            sqlite3_reset(ins);
        }
        exec("COMMIT");
        if (after_commit) after_commit();
    }
    sqlite3_finalize(ins);
    printf("inserted %d rows in %d transactions\n", ROWS, ROWS / ROWS_PER_TX);
}

static int build(const char *path) {
    char journal[4096];
    snprintf(journal, sizeof journal, "%s-journal", path);
    if (unlink(path) != 0 && errno != ENOENT) { perror(path); return 1; }
    if (unlink(journal) != 0 && errno != ENOENT) { perror(journal); return 1; }

    open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    printf("sqlite %s\n", sqlite3_libversion());
    query("journal mode", "PRAGMA journal_mode");
    exec("CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,"
         " qty INTEGER NOT NULL, price REAL NOT NULL, payload BLOB)");
    exec("CREATE INDEX items_name ON items(name)");
    fill();

    query("count", "SELECT count(*) FROM items");
    query("sums", "SELECT sum(qty), printf('%.2f', sum(price)), sum(length(payload)) FROM items");
    query("by category", "SELECT category, count(*), sum(qty), printf('%.2f', avg(price)) FROM items"
                         " GROUP BY category ORDER BY category");
    query("most expensive", "SELECT id, name, price FROM items ORDER BY price DESC, id LIMIT 5");
    query("like item-0999%", "SELECT count(*), min(name), max(name) FROM items WHERE name LIKE 'item-0999%'");
    query("plan", "EXPLAIN QUERY PLAN SELECT id FROM items WHERE name = 'item-04242'");
    query("lookup", "SELECT id, name, category, qty, hex(payload) FROM items WHERE name = 'item-04242'");

    exec("BEGIN");
    exec("UPDATE items SET qty = qty + 1000 WHERE category = 'books'");
    printf("updated %d rows\n", sqlite3_changes(db));
    exec("DELETE FROM items WHERE id % 7 = 0");
    printf("deleted %d rows\n", sqlite3_changes(db));
    exec("COMMIT");

    query("count after", "SELECT count(*), sum(qty) FROM items");
    query("books after", "SELECT count(*), min(qty) FROM items WHERE category = 'books'");
    if (sqlite3_close(db) != SQLITE_OK) die("close");
    printf("journal left behind: %s\n", access(journal, F_OK) == 0 ? "yes" : "no");
    return 0;
}

static int check(const char *path) {
    open_db(path, SQLITE_OPEN_READWRITE);
    sqlite3_stmt *st = prepare("PRAGMA integrity_check");
    int ok = 0, rows = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        printf("%s\n", v ? v : "NULL");
        ok = rows++ == 0 && v && strcmp(v, "ok") == 0;
    }
    if (rc != SQLITE_DONE) die("integrity_check");
    sqlite3_finalize(st);
    query("rows", "SELECT count(*) FROM items");
    if (sqlite3_close(db) != SQLITE_OK) die("close");
    return ok ? 0 : 1;
}

/* The WAL mode's second process: its requests come on one pipe, its answers go on another. */
static int to_reader[2], from_reader[2];
static const char *db_path;

static void ask_reader(char request) {
    char answer[128];
    ssize_t n;
    if (write(to_reader[1], &request, 1) != 1 || (n = read(from_reader[0], answer, sizeof answer - 1)) <= 0) {
        fprintf(stderr, "sqlite-demo: the reader process is gone\n");
        exit(1);
    }
    answer[n] = 0;
    printf("reader: %s\n", answer);
}

static void ask_count(void) { ask_reader('c'); }

/* One value of a one-row query, as text. */
static void one_value(const char *sql, char *out, size_t size) {
    sqlite3_stmt *st = prepare(sql);
    if (sqlite3_step(st) != SQLITE_ROW) die(sql);
    snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

static void reader(void) {
    char request, answer[128];
    open_db(db_path, SQLITE_OPEN_READWRITE);
    exec("PRAGMA busy_timeout = 10000");
    while (read(to_reader[0], &request, 1) == 1 && request != 'q') {
        if (request == 'c') {
            one_value("SELECT count(*) FROM items", answer, sizeof answer);
        } else {
            exec("INSERT INTO items(name, category, qty, price) VALUES ('from-reader', 'tools', 1, 1.0)");
            snprintf(answer, sizeof answer, "inserted row %lld", (long long)sqlite3_last_insert_rowid(db));
        }
        if (write(from_reader[1], answer, strlen(answer)) < 0) exit(1);
    }
    if (sqlite3_close(db) != SQLITE_OK) die("close");
    exit(0);
}

static int wal(const char *path) {
    char wal_file[4096], shm_file[4096];
    snprintf(wal_file, sizeof wal_file, "%s-wal", path);
    snprintf(shm_file, sizeof shm_file, "%s-shm", path);
    unlink(path);
    unlink(wal_file);
    unlink(shm_file);
    db_path = path;
    open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    printf("sqlite %s\n", sqlite3_libversion());
    query("journal mode", "PRAGMA journal_mode = WAL");
    exec("PRAGMA busy_timeout = 10000");
    exec("CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,"
         " qty INTEGER NOT NULL, price REAL NOT NULL, payload BLOB)");
    if (pipe(to_reader) != 0 || pipe(from_reader) != 0) { perror("pipe"); return 1; }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) reader();
    after_commit = ask_count;
    fill();
    ask_reader('w');
    query("the reader's row", "SELECT id, name FROM items WHERE name = 'from-reader'");
    query("count", "SELECT count(*), sum(qty) FROM items");
    query("checkpoint", "PRAGMA wal_checkpoint(TRUNCATE)");
    if (write(to_reader[1], "q", 1) != 1) return 1;
    int status;
    waitpid(pid, &status, 0);
    printf("reader exited: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    if (sqlite3_close(db) != SQLITE_OK) die("close");
    printf("wal left behind: %s\n", access(wal_file, F_OK) == 0 ? "yes" : "no");
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--check") == 0) return check(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--wal") == 0) return wal(argv[2]);
    if (argc == 2 && argv[1][0] != '-') return build(argv[1]);
    fprintf(stderr, "usage: sqlite-demo DBFILE | sqlite-demo --check DBFILE | sqlite-demo --wal DBFILE\n");
    return 2;
}
