package web

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/pelletier/go-toml/v2"
	"golang.org/x/text/language"

	"github.com/radbill/radbill/rating"
)

// The console's languages are the files in locales/: one TOML file per
// language, named by its tag (en.toml, bg.toml), each with every message.
//
//go:embed locales/*.toml
var localeFiles embed.FS

// languages are the tags of the files in locales/, English first.
var languages = func() []string {
	entries, _ := fs.ReadDir(localeFiles, "locales")
	tags := []string{"en"}
	for _, e := range entries {
		if tag := strings.TrimSuffix(e.Name(), ".toml"); tag != "en" {
			tags = append(tags, tag)
		}
	}
	return tags
}()

// Languages lists the console's languages.
func Languages() []string { return slices.Clone(languages) }

// catalog holds every language's messages.
type catalog struct {
	bundle *i18n.Bundle
	ids    map[string][]string // language → message ids
}

func loadCatalog() (*catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &catalog{bundle: b, ids: map[string][]string{}}
	for _, tag := range languages {
		name := path.Join("locales", tag+".toml")
		data, err := localeFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		mf, err := b.ParseMessageFileBytes(data, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, m := range mf.Messages {
			c.ids[tag] = append(c.ids[tag], m.ID)
		}
	}
	return c, nil
}

// missing lists, per language but English, the message ids English has
// and it lacks (or leaves empty).
func (c *catalog) missing() map[string][]string {
	out := map[string][]string{}
	for _, tag := range languages[1:] {
		have := c.ids[tag]
		for _, id := range c.ids["en"] {
			if !slices.Contains(have, id) || c.tr(tag).text(id, nil) == "" {
				out[tag] = append(out[tag], id)
			}
		}
	}
	return out
}

// translator speaks one language: messages, numbers, money and dates.
type translator struct {
	lang string
	loc  *i18n.Localizer
}

func (c *catalog) tr(lang string) translator {
	if !slices.Contains(languages, lang) {
		lang = "en"
	}
	return translator{lang: lang, loc: i18n.NewLocalizer(c.bundle, lang)}
}

// missingMark frames a message id that has no text in the language, so a
// page test finds it.
const missingMark = "⟦"

// text is message id with data filled in ({{.Name}}); a message the
// language lacks shows as ⟦id⟧ rather than in another language.
func (t translator) text(id string, data map[string]any) string {
	s, tag, err := t.loc.LocalizeWithTag(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil || tag.String() != t.lang {
		return missingMark + id + "⟧"
	}
	return s
}

// T is the templates' t: t "id" or t "id" "Name" value ...
func (t translator) T(id string, pairs ...any) string {
	var data map[string]any
	if len(pairs) > 0 {
		data = map[string]any{}
		for i := 0; i+1 < len(pairs); i += 2 {
			data[fmt.Sprint(pairs[i])] = pairs[i+1]
		}
	}
	return t.text(id, data)
}

// Lang is the translator's language tag.
func (t translator) Lang() string { return t.lang }

// separators are a language's decimal and thousands separators.
func (t translator) separators() (decimal, thousands string) {
	if t.lang == "en" {
		return ".", ","
	}
	return ",", "\u00a0" // bg and most of Europe: 1 234,56
}

// Money writes m exactly, with at least two decimals and no trailing
// zeros past them: 1,234.50 or 1 234,50; 0.0375.
func (t translator) Money(m rating.Money) string {
	s := m.String()
	s = strings.TrimRight(s, "0")
	if dot := strings.IndexByte(s, '.'); len(s)-dot-1 < 2 {
		s += strings.Repeat("0", 2-(len(s)-dot-1))
	}
	return t.number(s)
}

// Int writes a whole number with the language's thousands separator.
func (t translator) Int(n int64) string { return t.number(fmt.Sprint(n)) }

func (t translator) number(s string) string {
	decimal, thousands := t.separators()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, fraction, hasFraction := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(thousands)
		}
		b.WriteRune(r)
	}
	if hasFraction {
		b.WriteString(decimal + fraction)
	}
	return sign + b.String()
}

// Date writes a day: 2026-12-03 in English, 03.12.2026 in Bulgarian.
func (t translator) Date(d time.Time) string {
	if t.lang == "en" {
		return d.Format("2006-01-02")
	}
	return d.Format("02.01.2006")
}

// DateTime writes an instant in UTC.
func (t translator) DateTime(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return t.Date(d.UTC()) + " " + d.UTC().Format("15:04:05")
}

// Minutes writes billed seconds as minutes and seconds, 125:07.
func (t translator) Minutes(seconds int64) string {
	return fmt.Sprintf("%s:%02d", t.Int(seconds/60), seconds%60)
}
