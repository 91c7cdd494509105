package cdrimport_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/radbill/radbill/cdr"
	"github.com/radbill/radbill/cdrimport"
	"github.com/radbill/radbill/internal/cdrgen"
	"github.com/radbill/radbill/internal/testdb"
)

// BenchmarkImportCUCM imports a generated 133-field CUCM file of b.N calls
// through gw-trunk to mobiles, rated; owners (calling number 2001, 2002
// ...) every owners-th call, the rest on the trunk's plan.
func BenchmarkImportCUCM(b *testing.B) {
	for _, backend := range []string{"sqlite", "mysql"} {
		b.Run(backend, func(b *testing.B) {
			be := testdb.SQLite(b)
			if backend == "mysql" {
				be = testdb.MySQL(b)
			}
			e := newEnv(b, be)
			path := filepath.Join(b.TempDir(), "cdr_GenCluster_01_202611201000_1")
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).Unix()
			if err := cdrgen.WriteCUCM(f, cdrgen.Fields133, b.N, func(i int) cdrgen.Call {
				calling := "35929000001"
				if i%10 == 0 {
					calling = "2001" // a tenth of the calls are Ann's
				}
				return cdrgen.Call{CallID: i + 1, Calling: calling, Called: "35988123456", OrigDevice: "SEP0011223344", DestDevice: "gw-trunk",
					Origination: start + int64(i), Connect: start + int64(i) + 3, End: start + int64(i) + 3 + int64(i%300)}
			}); err != nil {
				b.Fatal(err)
			}
			f.Close()
			im := e.importer(b)
			format, _ := cdrimport.NewFormat(cdr.SourceCUCM, "", "")
			b.ResetTimer()
			began := time.Now()
			r, err := im.ImportFile(context.Background(), format, path, false, nil)
			if err != nil || r.Counts.Stored != int64(b.N) {
				b.Fatalf("%+v, %v", r.Counts, err)
			}
			b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "records/s")
		})
	}
}
