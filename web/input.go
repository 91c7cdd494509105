package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/radbill/radbill/rating"
	"github.com/radbill/radbill/report"
)

// input is a request's parameters: the query, and the body as a form or
// a JSON object (the API's), read alike so that a page's form and the
// API's call share one action.
type input struct{ url.Values }

// maxBody bounds a request body other than a tariff upload (guard sets
// the bound before anything reads the body).
const maxBody = 1 << 20

func readInput(r *http.Request) (input, error) {
	in := input{r.URL.Query()}
	if safeMethod(r.Method) {
		return in, nil
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return in, badRequest(err)
		}
		var obj map[string]any
		if len(body) > 0 {
			if err := json.Unmarshal(body, &obj); err != nil {
				return in, badRequest(fmt.Errorf("body: %w", err))
			}
		}
		for k, v := range obj {
			switch v := v.(type) {
			case []any:
				for _, e := range v {
					in.Add(k, fmt.Sprint(e))
				}
			case nil:
			case float64:
				in.Set(k, strconv.FormatFloat(v, 'f', -1, 64))
			default:
				in.Set(k, fmt.Sprint(v))
			}
		}
		return in, nil
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return in, nil // a tariff upload reads its own parts
	}
	if err := r.ParseForm(); err != nil {
		return in, badRequest(err)
	}
	for k, vs := range r.PostForm {
		in.Values[k] = vs
	}
	return in, nil
}

func (in input) str(key string) string { return strings.TrimSpace(in.Get(key)) }

func (in input) required(key string) (string, error) {
	v := in.str(key)
	if v == "" {
		return "", badRequest(fmt.Errorf("%s: required", key))
	}
	return v, nil
}

// id reads an optional id; "" and "0" are 0.
func (in input) id(key string) (int64, error) {
	v := in.str(key)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest(fmt.Errorf("%s %q: want an id", key, v))
	}
	return n, nil
}

func (in input) integer(key string, def int) (int, error) {
	v := in.str(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest(fmt.Errorf("%s %q: want a whole number", key, v))
	}
	return n, nil
}

func (in input) money(key string) (rating.Money, error) {
	v, err := in.required(key)
	if err != nil {
		return 0, err
	}
	m, err := rating.ParseMoney(strings.ReplaceAll(v, ",", "."))
	if err != nil {
		return 0, badRequest(fmt.Errorf("%s: %w (write e.g. 10, 2.5)", key, err))
	}
	return m, nil
}

func (in input) boolean(key string) bool {
	switch strings.ToLower(in.str(key)) {
	case "1", "true", "on", "yes":
		return true
	}
	return false
}

func (in input) ids(key string) ([]int64, error) {
	var out []int64
	for _, v := range in.Values[key] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			n, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return nil, badRequest(fmt.Errorf("%s %q: want ids", key, part))
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// days reads from/to (UTC days, to exclusive) or period (a month); the
// default is the current month.
func (in input) days(now time.Time) (from, to time.Time, err error) {
	if period := in.str("period"); period != "" {
		m, err := report.ParseMonth("period", period)
		if err != nil {
			return from, to, badRequest(err)
		}
		return m, m.AddDate(0, 1, 0), nil
	}
	now = now.UTC()
	from = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	to = from.AddDate(0, 1, 0)
	if v := in.str("from"); v != "" {
		if from, err = report.ParseDay("from", v); err != nil {
			return from, to, badRequest(err)
		}
	}
	if v := in.str("to"); v != "" {
		if to, err = report.ParseDay("to", v); err != nil {
			return from, to, badRequest(err)
		}
	}
	return from, to, nil
}

// pathID is the {name} of the route's path as an id.
func pathID(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil {
		return 0, notFound(name + " " + r.PathValue(name))
	}
	return n, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeJSONError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
