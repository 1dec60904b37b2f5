export {
  createPersonRegister,
  type PersonRegister,
  type PersonRegisterOptions,
  type PersonRegisterOutcome,
} from './person-register-adapter.js';
export { mapPatient, normaliseMunicipality, type RegisteredPerson } from './patient-mapper.js';
export { createCustodyRegister, type CustodyOutcome, type CustodyRegister } from './custody-adapter.js';
export { CUSTODY_CODE, ROLE_CODE_SYSTEM, mapCustody, type CustodyHolder, type CustodyMapping } from './custody-mapper.js';
