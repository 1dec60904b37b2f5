export {
  createPersonRegister,
  type PersonRegister,
  type PersonRegisterOptions,
  type PersonRegisterOutcome,
} from './person-register-adapter.js';
export { mapPatient, normaliseMunicipality, type RegisteredPerson } from './patient-mapper.js';
