// `kubectl describe endpoints|endpointslice` layouts (kubernetes/kubectl pkg/describe/describe.go:
// describeEndpoints, describeEndpointSliceV1): the objects `get -o yaml` prints for them, so
// the two views agree on labels and annotations. The troubleshooting checklist's "Service
// unreachable → no Endpoints" step reads these.

import type { ClusterState, EndpointSliceState } from "../control/state.js";
import type { Labels } from "../manifest/types.js";
import type { ViewOptions } from "./common.js";
import { annotationsMultiline, eventsFor, finish, L1, L2, L3, labelsMultiline } from "./describe.js";
import { endpointSliceObject, endpointsObject, givenAs, type EndpointsView } from "./objects.js";

type Meta = { labels?: Labels; annotations?: Record<string, string> };

/** Name, Namespace, Labels, Annotations: the header both describers start with. */
function header(name: string, namespace: string, meta: Meta | undefined): string {
  return (
    `Name:\t${name}\nNamespace:\t${namespace}\n` +
    labelsMultiline("Labels", meta?.labels) +
    annotationsMultiline("Annotations", meta?.annotations)
  );
}

/** describeEndpoints: per subset its addresses, not-ready addresses and ports, then a blank line. */
export function describeEndpoints(state: ClusterState, e: EndpointsView, opts: ViewOptions = {}): string {
  let b = header(e.name, e.namespace, endpointsObject(state, e, opts).metadata as Meta);
  b += "Subsets:\n";
  for (const s of e.subsets) {
    b += `${L1}Addresses:\t${s.addresses.map((a) => a.ip).join(",") || "<none>"}\n`;
    b += `${L1}NotReadyAddresses:\t${s.notReadyAddresses.map((a) => a.ip).join(",") || "<none>"}\n`;
    if (s.ports.length > 0) {
      b += `${L1}Ports:\n${L2}Name\tPort\tProtocol\n${L2}----\t----\t--------\n`;
      for (const p of s.ports) b += `${L2}${p.name || "<unset>"}\t${p.port}\t${p.protocol}\n`;
    }
    b += "\n";
  }
  return finish(state, b, eventsFor(state, "endpoints", e.namespace, e.name));
}

/** describeEndpointSliceV1: ports, then each endpoint's addresses, readiness, hostname, target, node and zone. */
export function describeEndpointSlice(state: ClusterState, s: EndpointSliceState, opts: ViewOptions = {}): string {
  let b = header(s.name, s.namespace, endpointSliceObject(state, s, opts).metadata as Meta);
  b += `AddressType:\t${s.addressType}\n`;
  if (s.ports.length === 0) b += "Ports: <unset>\n";
  else {
    b += `Ports:\n${L1}Name\tPort\tProtocol\n${L1}----\t----\t--------\n`;
    for (const p of s.ports) b += `${L1}${p.name || "<unset>"}\t${p.port ?? "<unset>"}\t${p.protocol}\n`;
  }
  if (s.endpoints.length === 0) b += "Endpoints: <none>\n";
  else {
    b += "Endpoints:\n";
    // A given slice's readiness as given: the model reads an unset one as ready, describe says <unset>.
    const given = givenAs(state, "EndpointSlice", s.namespace, s.name)?.endpoints;
    s.endpoints.forEach((ep, i) => {
      const ready = Array.isArray(given) ? given[i]?.conditions?.ready : ep.conditions.ready;
      b += `${L1}- Addresses:\t${ep.addresses.join(", ")}\n`;
      b += `${L2}Conditions:\n${L3}Ready:\t${typeof ready === "boolean" ? String(ready) : "<unset>"}\n`;
      b += `${L2}Hostname:\t${ep.hostname ?? "<unset>"}\n`;
      if (ep.targetRef) b += `${L2}TargetRef:\t${ep.targetRef.kind}/${ep.targetRef.name}\n`;
      b += `${L2}NodeName:\t${ep.nodeName ?? "<unset>"}\n`;
      b += `${L2}Zone:\t${ep.zone ?? "<unset>"}\n`;
    });
  }
  return finish(state, b, eventsFor(state, "endpointslice", s.namespace, s.name));
}
