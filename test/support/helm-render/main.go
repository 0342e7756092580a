// helm-render renders a Helm 3 chart the way `helm template` does, for machines without a
// helm binary. It uses the same building blocks as Helm's engine (text/template, the sprig
// function library, sigs.k8s.io/yaml) and re-creates the functions Helm adds on top of sprig:
// include, tpl, required, toYaml, fromYaml, toJson, fromJson, lookup. Values are coalesced
// like `helm template -f a.yaml -f b.yaml` (maps merge, later files win, null deletes a key).
//
// Usage: helm-render [--values] <chart-dir> <release-name> <namespace> [values.yaml ...]
// Output: every rendered template as `---\n# Source: <chart>/templates/<file>\n<yaml>`, or
// with --values the coalesced values as JSON (what Helm checks against values.schema.json).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

type values = map[string]interface{}

func readYAML(path string) (values, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := values{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// coalesce merges src over dst the way Helm merges user values over chart defaults.
func coalesce(dst, src values) values {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sv, srcIsMap := v.(map[string]interface{})
		dv, dstIsMap := dst[k].(map[string]interface{})
		if srcIsMap && dstIsMap {
			dst[k] = coalesce(dv, sv)
		} else {
			dst[k] = v
		}
	}
	return dst
}

type files map[string][]byte

func (f files) Get(name string) string { return string(f[name]) }

type apiVersions []string

func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func run() error {
	args := os.Args[1:]
	valuesOnly := len(args) > 0 && args[0] == "--values"
	if valuesOnly {
		args = args[1:]
	}
	if len(args) < 3 {
		return errors.New("usage: helm-render <chart-dir> <release-name> <namespace> [values.yaml ...]")
	}
	chartDir, releaseName, namespace := args[0], args[1], args[2]

	chartYAML, err := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	// Helm exposes Chart.yaml through its Metadata struct: capitalised field names.
	chart := map[string]interface{}{}
	for k, v := range chartYAML {
		chart[strings.ToUpper(k[:1])+k[1:]] = v
	}
	chartName, _ := chartYAML["name"].(string)

	vals, err := readYAML(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, f := range args[3:] {
		override, err := readYAML(f)
		if err != nil {
			return err
		}
		vals = coalesce(vals, override)
	}
	if valuesOnly {
		_, err := os.Stdout.WriteString(toJSON(vals) + "\n")
		return err
	}

	// Non-template chart files, for .Files.Get.
	chartFiles := files{}
	templates := map[string]string{}
	err = filepath.Walk(chartDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(chartDir, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates/") {
			templates[chartName+"/"+rel] = string(data)
		} else {
			chartFiles[rel] = data
		}
		return nil
	})
	if err != nil {
		return err
	}

	t := template.New("gotpl").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	// Helm removes these two: charts must not read the renderer's environment.
	delete(funcs, "env")
	delete(funcs, "expandenv")
	includedNames := map[string]int{}
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["toJson"] = toJSON
	funcs["fromJson"] = fromJSON
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	// Nothing exists in a cluster at template time (as with `helm template`).
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if includedNames[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		includedNames[name]++
		defer func() { includedNames[name]-- }()
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		inner, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := inner.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	t.Funcs(funcs)

	names := make([]string, 0, len(templates))
	for name := range templates {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := t.New(name).Parse(templates[name]); err != nil {
			return err
		}
	}

	release := map[string]interface{}{
		"Name": releaseName, "Namespace": namespace, "IsInstall": true, "IsUpgrade": false,
		"Revision": 1, "Service": "Helm",
	}
	capabilities := map[string]interface{}{
		"KubeVersion": map[string]interface{}{
			"Version": "v1.30.0", "Major": "1", "Minor": "30", "GitVersion": "v1.30.0",
		},
		"APIVersions": apiVersions{"v1", "apps/v1", "batch/v1", "autoscaling/v2", "policy/v1",
			"networking.k8s.io/v1", "monitoring.coreos.com/v1"},
	}

	var out bytes.Buffer
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") || strings.HasSuffix(base, ".txt") {
			continue
		}
		data := map[string]interface{}{
			"Values": vals, "Release": release, "Chart": chart, "Capabilities": capabilities,
			"Files":    chartFiles,
			"Template": map[string]interface{}{"Name": name, "BasePath": chartName + "/templates"},
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return err
		}
		rendered := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(rendered) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, rendered)
	}
	_, err = os.Stdout.Write(out.Bytes())
	return err
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
}
