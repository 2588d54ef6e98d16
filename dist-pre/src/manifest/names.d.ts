export declare function dns1123Label(v: string): string | undefined;
export declare function dns1123Subdomain(v: string): string | undefined;
export declare function dns1035Label(v: string): string | undefined;
/** Label and annotation keys: `[prefix/]name`, prefix a DNS subdomain ≤253, name ≤63. */
export declare function qualifiedName(v: string): string | undefined;
export declare function labelValue(v: string): string | undefined;
/** IANA_SVC_NAME (RFC 6335): named ports in containers, Services, NetworkPolicies. */
export declare function ianaSvcName(v: string): string | undefined;
/** Ingress host: a DNS subdomain, optionally with a leading `*.` wildcard label. */
export declare function wildcardDns1123Subdomain(v: string): string | undefined;
