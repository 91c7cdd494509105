package cdrimport

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"

	"github.com/radbill/radbill/asterisk"
	"github.com/radbill/radbill/cdr"
)

// Watch is a directory a watcher follows.
type Watch struct {
	Format Format
	Dir    string
	// Settle is how long a file must stay the same size and time before it
	// counts as complete (a CUCM billing server receives its files over
	// SFTP, a file at a time).
	Settle time.Duration
}

// pattern is the names a watcher picks up: CUCM's cdr_ and cmr_ files,
// Asterisk's .csv files.
func (w Watch) matches(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".part") {
		return false // still being copied under a temporary name
	}
	if w.Format.Source == cdr.SourceCUCM {
		return strings.HasPrefix(name, "cdr_") || strings.HasPrefix(name, "cmr_")
	}
	return strings.HasSuffix(name, ".csv")
}

// Follow imports the files that arrive in the watched directory until ctx
// is done, each once it is complete, and tells report each file's outcome.
// A file whose content was imported before (this process or an earlier
// one, import_file) is not read again.
func (im *Importer) Follow(ctx context.Context, w Watch, report func(FileResult, error)) {
	type state struct {
		size    int64
		modTime time.Time
		since   time.Time
		done    bool
	}
	files := map[string]*state{}
	tick := time.NewTicker(max(w.Settle/4, 50*time.Millisecond))
	defer tick.Stop()
	for {
		entries, err := os.ReadDir(w.Dir)
		if err != nil {
			report(FileResult{Name: w.Dir}, err)
		}
		now := time.Now()
		for _, e := range entries {
			if e.IsDir() || !w.matches(e.Name()) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue
			}
			path := filepath.Join(w.Dir, e.Name())
			s := files[path]
			if s == nil || s.size != info.Size() || !s.modTime.Equal(info.ModTime()) {
				files[path] = &state{size: info.Size(), modTime: info.ModTime(), since: now}
				continue
			}
			if s.done || now.Sub(s.since) < w.Settle {
				continue
			}
			result, err := im.ImportFile(ctx, w.Format, path, true, nil)
			if errors.Is(err, ErrIncomplete) {
				s.since = now // cut off: wait for the rest
				continue
			}
			if ctx.Err() != nil {
				return
			}
			s.done = true
			report(result, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// WatchConfig is one entry of radiusd's `import:` list.
type WatchConfig struct {
	Format   string        `mapstructure:"format"`   // cucm or asterisk-csv
	Dir      string        `mapstructure:"dir"`      // the directory to follow
	Columns  string        `mapstructure:"columns"`  // Asterisk: the Master.csv column list, if not 16, 18 or 21 usual ones
	TimeZone string        `mapstructure:"timezone"` // Asterisk: the server's zone (default the local one)
	Settle   time.Duration `mapstructure:"settle"`   // default 5s
}

// ParseWatches reads and checks the configuration's `import:` list.
func ParseWatches(raw []map[string]any) ([]Watch, error) {
	var watches []Watch
	for i, entry := range raw {
		var c WatchConfig
		decoder, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &c, WeaklyTypedInput: true, ErrorUnused: true,
			DecodeHook: mapstructure.StringToTimeDurationHookFunc()})
		if err != nil {
			return nil, err
		}
		if err := decoder.Decode(entry); err != nil {
			return nil, fmt.Errorf("import[%d]: %w", i, err)
		}
		f, err := NewFormat(c.Format, c.Columns, c.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("import[%d]: %w", i, err)
		}
		if c.Format == cdr.SourceAsteriskDB {
			return nil, fmt.Errorf("import[%d]: asterisk-db is read by `radbill import asterisk-db`, not watched", i)
		}
		if info, err := os.Stat(c.Dir); err != nil || !info.IsDir() {
			return nil, fmt.Errorf("import[%d]: dir %q is not a directory", i, c.Dir)
		}
		if c.Settle == 0 {
			c.Settle = 5 * time.Second
		}
		watches = append(watches, Watch{Format: f, Dir: c.Dir, Settle: c.Settle})
	}
	return watches, nil
}

// NewFormat checks a format name (cucm, asterisk-csv) and its Asterisk
// options.
func NewFormat(name, columns, timeZone string) (Format, error) {
	f := Format{Source: name}
	switch name {
	case cdr.SourceCUCM:
		return f, nil
	case cdr.SourceAsteriskCSV, cdr.SourceAsteriskDB:
	default:
		return f, fmt.Errorf("format %q: want cucm or asterisk-csv", name)
	}
	if columns != "" {
		p, err := asterisk.ParseProfile(columns)
		if err != nil {
			return f, err
		}
		f.Columns = p
	}
	f.Location = time.Local
	if timeZone != "" {
		loc, err := time.LoadLocation(timeZone)
		if err != nil {
			return f, fmt.Errorf("timezone: %w", err)
		}
		f.Location = loc
	}
	return f, nil
}
