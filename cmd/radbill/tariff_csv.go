package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/normalize"
	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/rating/tariffcsv"
)

func tariffImportCommand(openDB dbOpener) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE.csv...",
		Short: "Replace the tariff with the one in the CSV files (see rating/tariffcsv/README.md)",
		Long: "Reads plans, zones, prefixes, bands, holidays, rates and translation rules (rules.csv) from CSV files\n" +
			"(each file's kind is told by its header row), validates everything, and replaces the tariff in one\n" +
			"transaction; the translation rules are replaced only when a rules file is given. Any bad row: every\n" +
			"error is printed with its file, line and field, and nothing changes. Waits for running servers to reload.",
		Example: "  radbill tariff import tariff/*.csv",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			var inputs []tariffcsv.File
			var rules []normalize.Rule
			var problems []error
			for _, name := range files {
				content, err := os.ReadFile(name)
				if err != nil {
					return err
				}
				base := filepath.Base(name)
				if header, err := csv.NewReader(bytes.NewReader(content)).Read(); err != nil || !normalize.IsCSVHeader(header) {
					inputs = append(inputs, tariffcsv.File{Name: base, Reader: bytes.NewReader(content)})
					continue
				}
				read, err := normalize.ReadCSV(base, bytes.NewReader(content))
				if err != nil {
					problems = append(problems, err)
				}
				if rules == nil {
					rules = []normalize.Rule{} // non-nil, even empty, replaces the rules in force
				}
				rules = append(rules, renumbered(read, len(rules))...)
			}
			var data rating.TariffData
			if err := tariffcsv.ReadAll(&data, inputs...); err != nil {
				problems = append(problems, err)
			}
			if len(problems) == 0 {
				if _, err := rating.Build(data); err != nil {
					problems = append(problems, err)
				}
			}
			if len(problems) > 0 {
				return errors.Join(problems...)
			}
			db, err := openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.ImportTariffsAndRules(cmd.Context(), data, rules); err != nil {
				return err
			}
			v, err := db.TariffVersion(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d plans, %d zones, %d prefixes, %d bands, %d holidays, %d rates",
				len(data.Plans), len(data.Zones), len(data.Prefixes), len(data.Bands), len(data.Holidays), len(data.Rates))
			if rules != nil {
				fmt.Fprintf(cmd.OutOrStdout(), ", %d translation rules", len(rules))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "; tariff version %d\n", v)
			return waitForServers(cmd.Context(), cmd, db)
		},
	}
}

// renumbered gives the rules of a further rules file ids after the first
// files' (ids order rules of the same position).
func renumbered(rules []normalize.Rule, before int) []normalize.Rule {
	for i := range rules {
		rules[i].ID += int64(before)
	}
	return rules
}

func tariffExportCommand(openDB dbOpener) *cobra.Command {
	return &cobra.Command{
		Use:     "export DIR",
		Short:   "Write the tariff in force as CSV files into DIR (the format tariff import reads)",
		Example: "  radbill tariff export tariff/ && vi tariff/rates.csv && radbill tariff import tariff/*.csv",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			data, err := db.LoadTariffs(cmd.Context())
			if err != nil {
				return err
			}
			if err := os.MkdirAll(args[0], 0o750); err != nil {
				return err
			}
			rules, err := db.LoadTranslationRules(cmd.Context())
			if err != nil {
				return err
			}
			rulesPath := filepath.Join(args[0], "rules.csv")
			if err := writeFile(rulesPath, func(w io.Writer) error { return normalize.WriteCSV(w, rules) }); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), rulesPath)
			for _, kind := range tariffcsv.Kinds() {
				path := filepath.Join(args[0], kind.FileName())
				if err := writeFile(path, func(w io.Writer) error { return tariffcsv.Write(w, kind, data) }); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), path)
			}
			return nil
		},
	}
}

// writeFile creates path and writes it with write.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
