#!/usr/bin/env node
// Parses and type-checks KQL with Microsoft's Kusto language service (@kusto/language-service-next, the
// library behind Azure Data Explorer's and Log Analytics' editors) against the documented AADProvisioningLogs
// schema, so that a query the exporter sends is known to be valid before a workspace sees it.
//
//   kql-check.js --queries FILE   FILE: [{"name", "query", "valueColumn"?, "labelColumns"?}], or - for stdin
//   kql-check.js --config FILE    an exporter configuration (JSON): every Exporter:Tenants:N:Logs:CustomQueries:M
//   options: --schema FILE (default: AADProvisioningLogs.schema.json beside this script), --json (one JSON report)
//
// A query with an error (syntax, unknown name, wrong types), a valueColumn that the query's result does not have
// or that is not numeric, or a labelColumn it does not have, fails. Exit 0: all valid; 1: some invalid; 2: usage.
'use strict';
const fs = require('fs');
const path = require('path');
require('@kusto/language-service-next/bridge');
require('@kusto/language-service-next/Kusto.Language.Bridge');
const K = globalThis.Kusto.Language;

const NUMERIC = new Set(['int', 'long', 'real', 'decimal']);

function usage(message) {
  process.stderr.write(`kql-check: ${message}\nusage: kql-check.js (--queries FILE|- | --config FILE) [--schema FILE] [--json]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { schema: path.join(__dirname, 'AADProvisioningLogs.schema.json'), json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '--queries' || a === '--config' || a === '--schema') {
      if (i + 1 >= argv.length) usage(`${a} needs a file`);
      args[a.slice(2)] = argv[++i];
    } else usage(`unknown argument '${a}'`);
  }
  if (!args.queries === !args.config) usage('give exactly one of --queries and --config');
  return args;
}

function readJson(file, what) {
  let text;
  try {
    text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (e) {
    usage(`cannot read ${what} ${file}: ${e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    usage(`${what} ${file} is not valid JSON: ${e.message}`);
  }
}

/** The property of obj named name, ignoring case (.NET configuration keys are case-insensitive). */
function prop(obj, name) {
  if (obj === null || typeof obj !== 'object') return undefined;
  const key = Object.keys(obj).find(k => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

/** Arrays as JSON writes them, or as .NET configuration's "0", "1"… keys. */
function list(value) {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') return Object.keys(value).sort((a, b) => a - b).map(k => value[k]);
  return [];
}

function customQueries(config) {
  const found = [];
  list(prop(prop(config, 'Exporter'), 'Tenants')).forEach((tenant, t) => {
    list(prop(prop(tenant, 'Logs'), 'CustomQueries')).forEach((q, m) => {
      found.push({
        name: `Exporter:Tenants:${t}:Logs:CustomQueries:${m}` + (prop(q, 'Name') ? ` ('${prop(q, 'Name')}')` : ''),
        query: prop(q, 'Query') || '',
        valueColumn: prop(q, 'ValueColumn'),
        labelColumns: list(prop(q, 'LabelColumns')),
      });
    });
  });
  return found;
}

function globalsOf(schema) {
  const columns = Object.entries(schema.columns).map(([name, type]) => `['${name}']:${type}`).join(', ');
  const table = new K.Symbols.TableSymbol.$ctor7(schema.table, `(${columns})`, '');
  const database = new K.Symbols.DatabaseSymbol.ctor('workspace', [table]);
  return K.GlobalState.Default.WithDatabase(database);
}

function lineAndColumn(text, offset) {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function check(entry, globals) {
  const problems = [];
  const code = K.KustoCode.ParseAndAnalyze(entry.query, globals);
  for (const d of globalThis.Bridge.toArray(code.GetDiagnostics())) {
    const at = lineAndColumn(entry.query, d.Start);
    problems.push({ severity: String(d.Severity), code: d.Code, message: d.Message, line: at.line, column: at.column });
  }
  const result = code.ResultType;
  const columns = result && result.Columns ? globalThis.Bridge.toArray(result.Columns).map(c => ({ name: c.Name, type: c.Type.Name })) : [];
  if (!problems.some(p => p.severity === 'Error')) {
    const byName = new Map(columns.map(c => [c.name, c.type]));
    if (entry.valueColumn !== undefined && entry.valueColumn !== null) {
      const type = byName.get(entry.valueColumn);
      if (type === undefined) problems.push({ severity: 'Error', code: 'valueColumn', message: `the result has no column '${entry.valueColumn}'` });
      else if (!NUMERIC.has(type)) problems.push({ severity: 'Error', code: 'valueColumn', message: `column '${entry.valueColumn}' is ${type}, not a number` });
    }
    for (const label of entry.labelColumns || []) {
      if (!byName.has(label)) problems.push({ severity: 'Error', code: 'labelColumns', message: `the result has no column '${label}'` });
    }
  }
  return { name: entry.name, valid: !problems.some(p => p.severity === 'Error'), problems, columns };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const schema = readJson(args.schema, 'schema');
  const entries = args.config ? customQueries(readJson(args.config, 'configuration')) : list(readJson(args.queries, 'queries'));
  const globals = globalsOf(schema);
  const results = entries.map(e => check({ name: String(e.name), query: String(e.query ?? ''), valueColumn: e.valueColumn, labelColumns: e.labelColumns }, globals));
  if (args.json) {
    process.stdout.write(JSON.stringify({ schema: schema.table, results }) + '\n');
  } else {
    for (const r of results) {
      process.stdout.write(`${r.valid ? 'ok   ' : 'FAIL '} ${r.name}` + (r.valid ? ` -> (${r.columns.map(c => `${c.name}:${c.type}`).join(', ')})` : '') + '\n');
      for (const p of r.problems) process.stdout.write(`       ${p.severity} ${p.code}${p.line ? ` at line ${p.line}, column ${p.column}` : ''}: ${p.message}\n`);
    }
    if (results.length === 0) process.stdout.write('no queries to check\n');
  }
  process.exit(results.every(r => r.valid) ? 0 : 1);
}

main();
