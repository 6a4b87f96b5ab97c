package main

// Observer missions' statements and their places in the trust model ("Observer missions" in
// docs/record-format.md, fold steps 6 and 7).

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// missionRoles: a mission declared witness must be a witness the definition names; one declared
// trustee must be a trustee of the key ceremony on the log, once there is one.
func (st *replayState) missionRolesFinish() {
	var trustees map[string]bool
	for _, ie := range st.remote {
		if ie.entry["kind"] != "remote-ceremony" {
			continue
		}
		trustees = map[string]bool{}
		list, _ := ie.entry["trustees"].([]any)
		for _, t := range list {
			if m, ok := t.(map[string]any); ok {
				trustees[fmt.Sprint(m["name"])] = true
			}
		}
	}
	ids := []string{}
	for id := range st.obs.missions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		m := st.obs.missions[id]
		if m.witness != "" {
			named := false
			for _, w := range st.e.witnesses {
				named = named || w[0] == m.witness
			}
			if !named {
				st.problems = append(st.problems, fmt.Sprintf("mission %s is declared witness %q, which the definition does not name", id, m.witness))
			}
		}
		if m.trustee != "" && trustees != nil && !trustees[m.trustee] {
			st.problems = append(st.problems, fmt.Sprintf("mission %s is declared trustee %q, which the key ceremony on the log does not have", id, m.trustee))
		}
	}
}

// statementShape: every text (title, headings, paragraphs) in each of the statement's languages,
// sections nested at most 3 deep, at most 200 a level, texts of at most 20,000 characters.
func statementShape(doc map[string]any) error {
	list, _ := doc["languages"].([]any)
	var langs []string
	for _, l := range list {
		s, ok := l.(string)
		if !ok || utf8.RuneCountInString(s) < 2 || utf8.RuneCountInString(s) > 3 {
			return fmt.Errorf("languages: a non-empty list of ISO 639 codes")
		}
		langs = append(langs, s)
	}
	if len(langs) == 0 {
		return fmt.Errorf("languages: a non-empty list of ISO 639 codes")
	}
	texts := func(v any, where string) error {
		m, ok := v.(map[string]any)
		if !ok || len(m) != len(langs) {
			return fmt.Errorf("%s: a text in each of %s", where, strings.Join(langs, ", "))
		}
		for _, l := range langs {
			s, isText := m[l].(string)
			if !isText {
				return fmt.Errorf("%s: a text in each of %s", where, strings.Join(langs, ", "))
			}
			if utf8.RuneCountInString(s) > 20000 {
				return fmt.Errorf("%s.%s: text of at most 20000 characters", where, l)
			}
		}
		return nil
	}
	if err := texts(doc["title"], "title"); err != nil {
		return err
	}
	var walk func(v any, where string, depth int) error
	walk = func(v any, where string, depth int) error {
		sections, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: a list", where)
		}
		if depth > 3 {
			return fmt.Errorf("%s: sections nest at most 3 deep", where)
		}
		if len(sections) > 200 {
			return fmt.Errorf("%s: at most 200 sections", where)
		}
		for n, sv := range sections {
			at := fmt.Sprintf("%s[%d]", where, n)
			sec, isObj := sv.(map[string]any)
			if _, hasID := sec["id"].(string); !isObj || !hasID {
				return fmt.Errorf("%s: an object with an id", at)
			}
			if err := texts(sec["heading"], at+".heading"); err != nil {
				return err
			}
			if ps, present := sec["paragraphs"]; present {
				plist, isList := ps.([]any)
				if !isList {
					return fmt.Errorf("%s.paragraphs: a list", at)
				}
				for k, p := range plist {
					if err := texts(p, fmt.Sprintf("%s.paragraphs[%d]", at, k)); err != nil {
						return err
					}
				}
			}
			if inner, present := sec["sections"]; present {
				if err := walk(inner, at+".sections", depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if list, _ := doc["sections"].([]any); len(list) == 0 {
		return fmt.Errorf("sections: a non-empty list")
	}
	return walk(doc["sections"], "sections", 0)
}
