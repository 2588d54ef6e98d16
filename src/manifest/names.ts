// Kubernetes' name and label rules (k8s.io/apimachinery/pkg/util/validation).
// Each returns the reason a value is invalid, or undefined when it is valid; the
// wording follows apimachinery's messages.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function dns1123Label(v: string): string | undefined {
  if (v.length > 63) return "must be no more than 63 characters";
  if (!DNS1123_LABEL.test(v))
    return "must be a lowercase RFC 1123 label: lower case alphanumeric characters or '-', starting and ending with an alphanumeric character";
  return undefined;
}

export function dns1123Subdomain(v: string): string | undefined {
  if (v.length > 253) return "must be no more than 253 characters";
  if (!DNS1123_SUBDOMAIN.test(v))
    return "must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character";
  return undefined;
}

export function dns1035Label(v: string): string | undefined {
  if (v.length > 63) return "must be no more than 63 characters";
  if (!DNS1035_LABEL.test(v))
    return "must be a DNS-1035 label: lower case alphanumeric characters or '-', starting with a letter and ending with an alphanumeric character";
  return undefined;
}

// Keys found valid: a dump repeats the same few label and annotation keys on every object
// (150,000 pods). Bounded, so that hostile input cannot grow it without end.
const VALID_QUALIFIED = new Set<string>();

/** Label and annotation keys: `[prefix/]name`, prefix a DNS subdomain ≤253, name ≤63. */
export function qualifiedName(v: string): string | undefined {
  if (VALID_QUALIFIED.has(v)) return undefined;
  const e = checkQualifiedName(v);
  if (e === undefined && VALID_QUALIFIED.size < 4096) VALID_QUALIFIED.add(v);
  return e;
}

function checkQualifiedName(v: string): string | undefined {
  const parts = v.split("/");
  let name: string;
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length === 0) return "prefix part must be non-empty";
    const e = dns1123Subdomain(prefix);
    if (e) return `prefix part ${e}`;
    name = parts[1];
  } else {
    return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS subdomain prefix and '/'";
  }
  if (name.length === 0) return "name part must be non-empty";
  if (name.length > 63) return "name part must be no more than 63 characters";
  if (!QUALIFIED_NAME.test(name))
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  return undefined;
}

export function labelValue(v: string): string | undefined {
  if (v.length > 63) return "must be no more than 63 characters";
  if (!LABEL_VALUE.test(v))
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  return undefined;
}

/** IANA_SVC_NAME (RFC 6335): named ports in containers, Services, NetworkPolicies. */
export function ianaSvcName(v: string): string | undefined {
  if (v.length > 15) return "must be no more than 15 characters";
  if (!/^[-a-z0-9]+$/.test(v)) return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
  if (v.includes("--")) return "must not contain consecutive hyphens";
  if (!/[a-z]/.test(v)) return "must contain at least one letter (a-z)";
  if (v.startsWith("-") || v.endsWith("-")) return "must not begin or end with a hyphen";
  return undefined;
}

/** Ingress host: a DNS subdomain, optionally with a leading `*.` wildcard label. */
export function wildcardDns1123Subdomain(v: string): string | undefined {
  return v.startsWith("*.") ? dns1123Subdomain(v.slice(2)) : dns1123Subdomain(v);
}
