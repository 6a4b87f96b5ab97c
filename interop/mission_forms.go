package main

// A mission's own forms (`mission-forms` in docs/record-format.md): ids that are none of the
// standard forms', titles and labels in ru, ky, kk and en, questions of the standard kinds, and
// quality checks over two number questions of the form (achyk.observers.mission_forms).

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

var (
	timeOfDay     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	standardForms = []string{"opening", "voting", "counting", "incident"}
	questionKinds = []string{"yes-no", "number", "time", "choice", "text"}
	formLanguages = []string{"ru", "ky", "kk", "en"}
)

func onlyKeys(obj map[string]any, allowed ...string) bool {
	for k := range obj {
		if !member(k, allowed) {
			return false
		}
	}
	return true
}

func formLabels(v any, what string, limit int) error {
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != len(formLanguages) || !onlyKeys(obj, formLanguages...) {
		return fmt.Errorf("%s: an object with exactly ru, ky, kk, en", what)
	}
	for _, lang := range formLanguages {
		s, isText := obj[lang].(string)
		if !isText || strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > limit {
			return fmt.Errorf("%s.%s: text of 1 to %d characters", what, lang, limit)
		}
	}
	return nil
}

// ownQuestion, ownForm: a mission's form as the fold checks answers against it.
type ownQuestion struct {
	id, kind string
	choices  []string
	required bool
}
type ownForm struct {
	questions []ownQuestion
	checks    [][3]string // left, right, English message
}

func formQuestion(v any, where string) (string, string, error) {
	q, ok := v.(map[string]any)
	if !ok || !onlyKeys(q, "id", "kind", "label", "choices", "required") {
		return "", "", fmt.Errorf("%s: an object of id, kind, label, choices, required", where)
	}
	id, _ := q["id"].(string)
	if !formID.MatchString(id) {
		return "", "", fmt.Errorf("%s.id: an id of lowercase letters, digits, _ and -, at most 40", where)
	}
	kind, _ := q["kind"].(string)
	if !member(kind, questionKinds) {
		return "", "", fmt.Errorf("%s.kind: one of %s", where, strings.Join(questionKinds, ", "))
	}
	if err := formLabels(q["label"], where+".label", 300); err != nil {
		return "", "", err
	}
	choices, present := q["choices"]
	list, isList := choices.([]any)
	if kind == "choice" {
		seen := map[string]bool{}
		ok = isList && len(list) >= 2 && len(list) <= 20
		for _, c := range list {
			s, isText := c.(string)
			ok = ok && isText && formID.MatchString(s) && !seen[s]
			seen[s] = true
		}
		if !ok {
			return "", "", fmt.Errorf("%s.choices: 2 to 20 distinct ids", where)
		}
	} else if present && !(isList && len(list) == 0) {
		return "", "", fmt.Errorf("%s.choices: only a choice question has choices", where)
	}
	if r, present := q["required"]; present {
		if _, isBool := r.(bool); !isBool {
			return "", "", fmt.Errorf("%s.required: true or false", where)
		}
	}
	return id, kind, nil
}

// missionForms: the forms of a valid `forms` list by id, or why it is not one.
func missionForms(v any) (map[string]*ownForm, error) {
	forms, ok := v.([]any)
	if !ok || len(forms) < 1 || len(forms) > 10 {
		return nil, fmt.Errorf("forms: a list of 1 to 10 forms")
	}
	ids := map[string]*ownForm{}
	for i, raw := range forms {
		where := fmt.Sprintf("forms[%d]", i)
		f, isObj := raw.(map[string]any)
		if !isObj || !onlyKeys(f, "id", "title", "questions", "checks") {
			return nil, fmt.Errorf("%s: an object of id, title, questions, checks", where)
		}
		id, _ := f["id"].(string)
		if !formID.MatchString(id) {
			return nil, fmt.Errorf("%s.id: an id of lowercase letters, digits, _ and -, at most 40", where)
		}
		if member(id, standardForms) {
			return nil, fmt.Errorf("%s.id: %s is a standard form's id", where, id)
		}
		if err := formLabels(f["title"], where+".title", 200); err != nil {
			return nil, err
		}
		questions, isList := f["questions"].([]any)
		if !isList || len(questions) < 1 || len(questions) > 50 {
			return nil, fmt.Errorf("%s.questions: a list of 1 to 50", where)
		}
		kinds := map[string]string{}
		form := &ownForm{}
		for j, q := range questions {
			qid, kind, err := formQuestion(q, fmt.Sprintf("%s.questions[%d]", where, j))
			if err != nil {
				return nil, err
			}
			if _, dup := kinds[qid]; dup {
				return nil, fmt.Errorf("%s.questions: each question's id once", where)
			}
			kinds[qid] = kind
			obj := q.(map[string]any)
			required, isBool := obj["required"].(bool)
			choices, _ := obj["choices"].([]any)
			form.questions = append(form.questions, ownQuestion{qid, kind, anyStrings(choices), required || !isBool})
		}
		checks, present := f["checks"]
		list, isList := checks.([]any)
		if present && (!isList || len(list) > 20) {
			return nil, fmt.Errorf("%s.checks: a list of at most 20", where)
		}
		for j, raw := range list {
			at := fmt.Sprintf("%s.checks[%d]", where, j)
			c, isObj := raw.(map[string]any)
			if !isObj || len(c) != 3 || !onlyKeys(c, "left", "right", "message") {
				return nil, fmt.Errorf("%s: an object of left, right, message", at)
			}
			l, _ := c["left"].(string)
			r, _ := c["right"].(string)
			if kinds[l] != "number" || kinds[r] != "number" || l == r {
				return nil, fmt.Errorf("%s: left and right name two number questions of the form", at)
			}
			if err := formLabels(c["message"], at+".message", 200); err != nil {
				return nil, err
			}
			form.checks = append(form.checks, [3]string{l, r, c["message"].(map[string]any)["en"].(string)})
		}
		if ids[id] != nil {
			return nil, fmt.Errorf("%s.id: %s twice", where, id)
		}
		ids[id] = form
	}
	return ids, nil
}

// checkOwnAnswers: why the answers do not fit the mission's form (as achyk.observers.forms
// .check_answers), or the quality checks they fail: flags, not failures.
func checkOwnAnswers(id string, form *ownForm, v any) ([]string, error) {
	answers, isObj := v.(map[string]any)
	if v == nil {
		answers, isObj = map[string]any{}, true
	}
	if !isObj {
		return nil, fmt.Errorf("answers: an object")
	}
	var unknown []string
	for k := range answers {
		found := false
		for _, q := range form.questions {
			found = found || q.id == k
		}
		if !found {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("form %s does not ask %s", id, strings.Join(unknown, ", "))
	}
	for _, q := range form.questions {
		value, present := answers[q.id]
		if !present || value == nil {
			if q.required {
				return nil, fmt.Errorf("%s: an answer is required", q.id)
			}
			continue
		}
		s, isText := value.(string)
		switch n, isInt := asInt(value); {
		case q.kind == "yes-no":
			if _, isBool := value.(bool); !isBool {
				return nil, fmt.Errorf("%s: yes or no (true/false)", q.id)
			}
		case q.kind == "number" && (!isInt || n < 0):
			return nil, fmt.Errorf("%s: a whole number ≥ 0", q.id)
		case q.kind == "time" && !(isText && timeOfDay.MatchString(s)):
			return nil, fmt.Errorf("%s: a time HH:MM", q.id)
		case q.kind == "choice" && !(isText && member(s, q.choices)):
			return nil, fmt.Errorf("%s: one of %s", q.id, strings.Join(q.choices, ", "))
		case q.kind == "text" && !(isText && utf8.RuneCountInString(s) <= 5000):
			return nil, fmt.Errorf("%s: text of at most 5000 characters", q.id)
		}
	}
	var flags []string
	for _, c := range form.checks {
		l, lok := asInt(answers[c[0]])
		r, rok := asInt(answers[c[1]])
		if lok && rok && l > r {
			flags = append(flags, c[2])
		}
	}
	return flags, nil
}
