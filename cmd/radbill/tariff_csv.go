package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/rating/tariffcsv"
)

func tariffImportCommand(openDB dbOpener) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE.csv...",
		Short: "Replace the tariff with the one in the CSV files (see rating/tariffcsv/README.md)",
		Long: "Reads plans, zones, prefixes, bands, holidays and rates from CSV files (each file's kind is told by its\n" +
			"header row), validates everything, and replaces the tariff in one transaction. Any bad row: every\n" +
			"error is printed with its file, line and field, and nothing changes. Running servers reload.",
		Example: "  radbill tariff import tariff/*.csv",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			inputs := make([]tariffcsv.File, len(files))
			for i, name := range files {
				f, err := os.Open(name)
				if err != nil {
					return err
				}
				defer f.Close()
				inputs[i] = tariffcsv.File{Name: filepath.Base(name), Reader: f}
			}
			var data rating.TariffData
			if err := tariffcsv.ReadAll(&data, inputs...); err != nil {
				return err
			}
			if _, err := rating.Build(data); err != nil {
				return err
			}
			db, err := openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.ImportTariffs(cmd.Context(), data); err != nil {
				return err
			}
			v, err := db.TariffVersion(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d plans, %d zones, %d prefixes, %d bands, %d holidays, %d rates; tariff version %d\n",
				len(data.Plans), len(data.Zones), len(data.Prefixes), len(data.Bands), len(data.Holidays), len(data.Rates), v)
			return waitForServers(cmd.Context(), cmd, db)
		},
	}
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
			for _, kind := range tariffcsv.Kinds() {
				path := filepath.Join(args[0], kind.FileName())
				f, err := os.Create(path)
				if err != nil {
					return err
				}
				if err := tariffcsv.Write(f, kind, data); err != nil {
					f.Close()
					return fmt.Errorf("%s: %w", path, err)
				}
				if err := f.Close(); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), path)
			}
			return nil
		},
	}
}
