// Reading AWS query-protocol XML answers with the SDK's own XML parser.
import { parseXML } from '@aws-sdk/xml-builder';

export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [key: string]: XmlValue;
}

/** Parses XML into nested objects (repeated elements become arrays). */
export const parseXml = (text: string): XmlObject => parseXML(text) as XmlObject;

/** Follows a path of element names; undefined when any step is missing. */
export const xmlPath = (node: XmlValue | undefined, ...names: string[]): XmlValue | undefined => {
  let cur: XmlValue | undefined = node;
  for (const n of names) {
    if (cur === undefined || typeof cur === 'string' || Array.isArray(cur)) return undefined;
    cur = cur[n];
  }
  return cur;
};

/** The text of an element, or undefined. */
export const xmlText = (node: XmlValue | undefined, ...names: string[]): string | undefined => {
  const v = xmlPath(node, ...names);
  return typeof v === 'string' ? v : undefined;
};

/** `<set><item/>...</set>` as a list whether it holds one item or many. */
export const xmlItems = (node: XmlValue | undefined, ...names: string[]): XmlObject[] => {
  const v = xmlPath(node, ...names, 'item');
  if (v === undefined || typeof v === 'string') return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is XmlObject => typeof x === 'object' && !Array.isArray(x));
};

/**
 * The AWS error code in a query-protocol error answer (STS or EC2 shape, or the
 * `ErrorResponse/Errors/Error` mix that AWS emulators such as moto answer auth errors with).
 */
export const xmlErrorCode = (doc: XmlObject): string | undefined =>
  xmlText(doc, 'ErrorResponse', 'Error', 'Code') ?? xmlText(doc, 'Response', 'Errors', 'Error', 'Code') ?? xmlText(doc, 'ErrorResponse', 'Errors', 'Error', 'Code');
