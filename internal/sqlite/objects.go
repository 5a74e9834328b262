package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ferryml/ferry/internal/objstore"
)

// ObjectMeta implements objstore.Meta on a DB.
type ObjectMeta struct {
	db *DB
}

var _ objstore.Meta = (*ObjectMeta)(nil)

// NewObjectMeta returns the object-namespace metadata store of db.
func NewObjectMeta(db *DB) *ObjectMeta { return &ObjectMeta{db: db} }

func (m *ObjectMeta) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := m.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

func isUnique(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "PRIMARY KEY")
}

// CreateBucket implements objstore.Meta.
func (m *ObjectMeta) CreateBucket(ctx context.Context, b objstore.Bucket) error {
	_, err := m.db.db.ExecContext(ctx, `INSERT INTO buckets (name, created_at) VALUES (?, ?)`, b.Name, fmtTime(b.Created))
	if err != nil {
		if isUnique(err) {
			return objstore.ErrBucketExists
		}
		return err
	}
	return nil
}

// DeleteBucket implements objstore.Meta.
func (m *ObjectMeta) DeleteBucket(ctx context.Context, name string) error {
	return m.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM buckets WHERE name = ?`, name).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return objstore.ErrNoSuchBucket
		}
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (SELECT 1 FROM objects WHERE bucket = ? LIMIT 1))
			+ (SELECT count(*) FROM (SELECT 1 FROM multipart_uploads WHERE bucket = ? LIMIT 1))`, name, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return objstore.ErrBucketNotEmpty
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM buckets WHERE name = ?`, name)
		return err
	})
}

// Bucket implements objstore.Meta.
func (m *ObjectMeta) Bucket(ctx context.Context, name string) (objstore.Bucket, error) {
	var created string
	err := m.db.db.QueryRowContext(ctx, `SELECT created_at FROM buckets WHERE name = ?`, name).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) {
		return objstore.Bucket{}, objstore.ErrNoSuchBucket
	}
	if err != nil {
		return objstore.Bucket{}, err
	}
	t, err := parseTime(created)
	return objstore.Bucket{Name: name, Created: t}, err
}

// Buckets implements objstore.Meta.
func (m *ObjectMeta) Buckets(ctx context.Context) ([]objstore.Bucket, error) {
	rows, err := m.db.db.QueryContext(ctx, `SELECT name, created_at FROM buckets ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []objstore.Bucket
	for rows.Next() {
		var b objstore.Bucket
		var created string
		if err := rows.Scan(&b.Name, &created); err != nil {
			return nil, err
		}
		if b.Created, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

func encodeMeta(md map[string]string) (string, error) {
	if len(md) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(md)
	if err != nil {
		return "", fmt.Errorf("encoding metadata: %w", err)
	}
	return string(b), nil
}

func decodeMeta(s string) (map[string]string, error) {
	var md map[string]string
	if err := json.Unmarshal([]byte(s), &md); err != nil {
		return nil, fmt.Errorf("decoding stored metadata: %w", err)
	}
	if len(md) == 0 {
		return nil, nil
	}
	return md, nil
}

// PutObject implements objstore.Meta.
func (m *ObjectMeta) PutObject(ctx context.Context, o objstore.Object) (string, error) {
	md, err := encodeMeta(o.Metadata)
	if err != nil {
		return "", err
	}
	var replaced string
	err = m.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM buckets WHERE name = ?`, o.Bucket).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return objstore.ErrNoSuchBucket
		}
		created := fmtTime(o.Created)
		var oldBlob, oldCreated string
		err := tx.QueryRowContext(ctx, `SELECT blob, created_at FROM objects WHERE bucket = ? AND key = ?`, o.Bucket, o.Key).Scan(&oldBlob, &oldCreated)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			replaced, created = oldBlob, oldCreated
		}
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO objects
			(bucket, key, blob, size, etag, content_type, metadata, created_at, modified_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.Bucket, o.Key, o.Blob, o.Size, o.ETag, o.ContentType, md, created, fmtTime(o.Modified))
		return err
	})
	return replaced, err
}

const objectCols = `bucket, key, blob, size, etag, content_type, metadata, created_at, modified_at`

func scanObject(row interface{ Scan(...any) error }) (objstore.Object, error) {
	var o objstore.Object
	var md, created, modified string
	if err := row.Scan(&o.Bucket, &o.Key, &o.Blob, &o.Size, &o.ETag, &o.ContentType, &md, &created, &modified); err != nil {
		return objstore.Object{}, err
	}
	var err error
	if o.Metadata, err = decodeMeta(md); err != nil {
		return objstore.Object{}, err
	}
	if o.Created, err = parseTime(created); err != nil {
		return objstore.Object{}, err
	}
	if o.Modified, err = parseTime(modified); err != nil {
		return objstore.Object{}, err
	}
	return o, nil
}

// Object implements objstore.Meta.
func (m *ObjectMeta) Object(ctx context.Context, bucket, key string) (objstore.Object, error) {
	o, err := scanObject(m.db.db.QueryRowContext(ctx, `SELECT `+objectCols+` FROM objects WHERE bucket = ? AND key = ?`, bucket, key))
	if errors.Is(err, sql.ErrNoRows) {
		return objstore.Object{}, objstore.ErrNoSuchKey
	}
	return o, err
}

// DeleteObject implements objstore.Meta.
func (m *ObjectMeta) DeleteObject(ctx context.Context, bucket, key string) (string, error) {
	var blob string
	err := m.db.db.QueryRowContext(ctx, `DELETE FROM objects WHERE bucket = ? AND key = ? RETURNING blob`, bucket, key).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		return "", objstore.ErrNoSuchKey
	}
	return blob, err
}

// ListObjects implements objstore.Meta.
func (m *ObjectMeta) ListObjects(ctx context.Context, bucket, prefix, after string, inclusive bool, limit int) ([]objstore.Object, error) {
	q := `SELECT ` + objectCols + ` FROM objects WHERE bucket = ? AND key > ?`
	if inclusive {
		q = `SELECT ` + objectCols + ` FROM objects WHERE bucket = ? AND key >= ?`
	}
	args := []any{bucket, after}
	if prefix != "" {
		// The range [prefix, prefixEnd) holds exactly the keys with the
		// prefix (UTF-8 sorts as code points); substr checks it again.
		q += ` AND key >= ? AND substr(key, 1, length(?)) = ?`
		args = append(args, prefix, prefix, prefix)
		if end, ok := objstore.PrefixEnd(prefix); ok {
			q += ` AND key < ?`
			args = append(args, end)
		}
	}
	q += ` ORDER BY key LIMIT ?`
	args = append(args, limit)
	rows, err := m.db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []objstore.Object
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// CreateUpload implements objstore.Meta.
func (m *ObjectMeta) CreateUpload(ctx context.Context, u objstore.Upload) error {
	md, err := encodeMeta(u.Metadata)
	if err != nil {
		return err
	}
	return m.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM buckets WHERE name = ?`, u.Bucket).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return objstore.ErrNoSuchBucket
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO multipart_uploads (id, bucket, key, content_type, metadata, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, u.ID, u.Bucket, u.Key, u.ContentType, md, fmtTime(u.Created))
		return err
	})
}

func scanUpload(row interface{ Scan(...any) error }) (objstore.Upload, error) {
	var u objstore.Upload
	var md, created string
	if err := row.Scan(&u.ID, &u.Bucket, &u.Key, &u.ContentType, &md, &created); err != nil {
		return objstore.Upload{}, err
	}
	var err error
	if u.Metadata, err = decodeMeta(md); err != nil {
		return objstore.Upload{}, err
	}
	u.Created, err = parseTime(created)
	return u, err
}

// Upload implements objstore.Meta.
func (m *ObjectMeta) Upload(ctx context.Context, id string) (objstore.Upload, error) {
	u, err := scanUpload(m.db.db.QueryRowContext(ctx, `SELECT id, bucket, key, content_type, metadata, created_at
		FROM multipart_uploads WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return objstore.Upload{}, objstore.ErrNoSuchUpload
	}
	return u, err
}

// Uploads implements objstore.Meta.
func (m *ObjectMeta) Uploads(ctx context.Context, bucket string) ([]objstore.Upload, error) {
	rows, err := m.db.db.QueryContext(ctx, `SELECT id, bucket, key, content_type, metadata, created_at
		FROM multipart_uploads WHERE bucket = ? ORDER BY key, created_at`, bucket)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []objstore.Upload
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// PutPart implements objstore.Meta.
func (m *ObjectMeta) PutPart(ctx context.Context, p objstore.Part) (string, error) {
	var replaced string
	err := m.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM multipart_uploads WHERE id = ?`, p.UploadID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return objstore.ErrNoSuchUpload
		}
		err := tx.QueryRowContext(ctx, `SELECT blob FROM multipart_parts WHERE upload_id = ? AND number = ?`, p.UploadID, p.Number).Scan(&replaced)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO multipart_parts (upload_id, number, blob, size, etag, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, p.UploadID, p.Number, p.Blob, p.Size, p.ETag, fmtTime(p.Created))
		return err
	})
	return replaced, err
}

// Parts implements objstore.Meta.
func (m *ObjectMeta) Parts(ctx context.Context, uploadID string) ([]objstore.Part, error) {
	rows, err := m.db.db.QueryContext(ctx, `SELECT upload_id, number, blob, size, etag, created_at
		FROM multipart_parts WHERE upload_id = ? ORDER BY number`, uploadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []objstore.Part
	for rows.Next() {
		var p objstore.Part
		var created string
		if err := rows.Scan(&p.UploadID, &p.Number, &p.Blob, &p.Size, &p.ETag, &created); err != nil {
			return nil, err
		}
		if p.Created, err = parseTime(created); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeleteUpload implements objstore.Meta.
func (m *ObjectMeta) DeleteUpload(ctx context.Context, id string) ([]string, error) {
	var blobs []string
	err := m.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM multipart_parts WHERE upload_id = ? RETURNING blob`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var b string
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return err
			}
			blobs = append(blobs, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM multipart_uploads WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return objstore.ErrNoSuchUpload
		}
		return nil
	})
	return blobs, err
}

// Blobs implements objstore.Meta.
func (m *ObjectMeta) Blobs(ctx context.Context, blobs []string) (map[string]bool, error) {
	used := make(map[string]bool)
	for _, b := range blobs {
		var n int
		if err := m.db.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM objects WHERE blob = ?)
			+ (SELECT count(*) FROM multipart_parts WHERE blob = ?)`, b, b).Scan(&n); err != nil {
			return nil, err
		}
		used[b] = n > 0
	}
	return used, nil
}
