/** Raised when XML carries a DOCTYPE, DTD or entity declaration: refused before any parsing. */
export class XmlSecurityError extends Error {
  override readonly name = 'XmlSecurityError';
  readonly code = 'xml-declaration-refused';
}

/** Raised when bytes are not well-formed XML, or not decodable text. No content is echoed. */
export class XmlParseError extends Error {
  override readonly name = 'XmlParseError';
  readonly code = 'xml-malformed';
}

/** Raised when a message cannot be read as the MedCom message it claims to be. */
export class MedComFormatError extends Error {
  override readonly name = 'MedComFormatError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Raised when XML nests deeper or holds more nodes than any MedCom message: parsing stops there. */
export class XmlLimitError extends Error {
  override readonly name = 'XmlLimitError';
  readonly code = 'xml-too-complex';
}
