// Package locale holds radbill's languages: the messages of the web
// console, its exports and the limit e-mails, one TOML file per language
// in locales/ (en.toml, bg.toml), and how each language writes numbers,
// money and dates.
package locale

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

// A language is a file in locales/, named by its tag, with every message
// of en.toml.
//
//go:embed locales/*.toml
var localeFiles embed.FS

// tags are the tags of the files in locales/, English first.
var tags = func() []string {
	entries, _ := fs.ReadDir(localeFiles, "locales")
	tags := []string{"en"}
	for _, e := range entries {
		if tag := strings.TrimSuffix(e.Name(), ".toml"); tag != "en" {
			tags = append(tags, tag)
		}
	}
	return tags
}()

// Languages lists the languages' tags, English first.
func Languages() []string { return slices.Clone(tags) }

// Check refuses a tag that is not one of the languages.
func Check(tag string) error {
	if !slices.Contains(tags, tag) {
		return fmt.Errorf("language %q: want one of %s", tag, strings.Join(tags, ", "))
	}
	return nil
}

// Catalog holds every language's messages.
type Catalog struct {
	bundle *i18n.Bundle
	ids    map[string][]string // language → message ids
}

// Load reads every language's messages.
func Load() (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: b, ids: map[string][]string{}}
	for _, tag := range tags {
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

// Missing lists, per language but English, the message ids English has
// and it lacks (or leaves empty).
func (c *Catalog) Missing() map[string][]string {
	out := map[string][]string{}
	for _, tag := range tags[1:] {
		have := c.ids[tag]
		for _, id := range c.ids["en"] {
			if !slices.Contains(have, id) || c.Tr(tag).Text(id, nil) == "" {
				out[tag] = append(out[tag], id)
			}
		}
	}
	return out
}

// Translator speaks one language: messages, numbers, money and dates.
type Translator struct {
	lang string
	loc  *i18n.Localizer
}

func (c *Catalog) Tr(lang string) Translator {
	if !slices.Contains(tags, lang) {
		lang = "en"
	}
	return Translator{lang: lang, loc: i18n.NewLocalizer(c.bundle, lang)}
}

// MissingMark begins a message id that has no text in the language, so a
// page test finds it.
const MissingMark = "⟦"

// text is message id with data filled in ({{.Name}}); a message the
// language lacks shows as ⟦id⟧ rather than in another language.
func (t Translator) Text(id string, data map[string]any) string {
	s, tag, err := t.loc.LocalizeWithTag(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil || tag.String() != t.lang {
		return MissingMark + id + "⟧"
	}
	return s
}

// T is the templates' t: t "id" or t "id" "Name" value ...
func (t Translator) T(id string, pairs ...any) string {
	var data map[string]any
	if len(pairs) > 0 {
		data = map[string]any{}
		for i := 0; i+1 < len(pairs); i += 2 {
			data[fmt.Sprint(pairs[i])] = pairs[i+1]
		}
	}
	return t.Text(id, data)
}

// Lang is the Translator's language tag.
func (t Translator) Lang() string { return t.lang }

// separators are a language's decimal and thousands separators.
func (t Translator) separators() (decimal, thousands string) {
	if t.lang == "en" {
		return ".", ","
	}
	return ",", "\u00a0" // bg and most of Europe: 1 234,56
}

// Money writes m exactly, with at least two decimals and no trailing
// zeros past them: 1,234.50 or 1 234,50; 0.0375.
func (t Translator) Money(m rating.Money) string {
	s := m.String()
	s = strings.TrimRight(s, "0")
	if dot := strings.IndexByte(s, '.'); len(s)-dot-1 < 2 {
		s += strings.Repeat("0", 2-(len(s)-dot-1))
	}
	return t.number(s)
}

// Int writes a whole number with the language's thousands separator.
func (t Translator) Int(n int64) string { return t.number(fmt.Sprint(n)) }

func (t Translator) number(s string) string {
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
func (t Translator) Date(d time.Time) string {
	if t.lang == "en" {
		return d.Format("2006-01-02")
	}
	return d.Format("02.01.2006")
}

// DateTime writes an instant in UTC.
func (t Translator) DateTime(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return t.Date(d.UTC()) + " " + d.UTC().Format("15:04:05")
}

// Minutes writes billed seconds as minutes and seconds, 125:07.
func (t Translator) Minutes(seconds int64) string {
	return fmt.Sprintf("%s:%02d", t.Int(seconds/60), seconds%60)
}
