package scan

import (
	"strings"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// contextTags are the attributes an object derived from a series (a SEG) copies from it: those
// of the Patient, Clinical Trial Subject, General Study, Patient Study and Clinical Trial Study
// modules (PS3.3 C.7.1.1, C.7.1.3, C.7.2.1, C.7.2.2, C.7.2.3), since it belongs to the same
// patient and study and dcentvfy checks that every instance of them agrees, and the site part of
// General Equipment (C.7.5.1), since it was made at the same institution. The rest of General
// Equipment (manufacturer, model, serial number, software, station, calibration) describes the
// scanner, while a derived object's equipment is liverseg, which its writer names.
// StudyInstanceUID is not here: a writer derives it where the source has none (sourceUID).
var contextTags = tagSet(
	// Patient
	tag.PatientName, tag.PatientID, tag.IssuerOfPatientID, tag.IssuerOfPatientIDQualifiersSequence,
	tag.TypeOfPatientID, tag.PatientBirthDate, tag.PatientBirthDateInAlternativeCalendar,
	tag.PatientDeathDateInAlternativeCalendar, tag.PatientAlternativeCalendar, tag.PatientSex,
	tag.ReferencedPatientPhotoSequence, tag.QualityControlSubject, tag.ReferencedPatientSequence,
	tag.PatientBirthTime, tag.OtherPatientIDsSequence, tag.OtherPatientNames, tag.OtherPatientIDs,
	tag.EthnicGroup, tag.PatientComments, tag.PatientSpeciesDescription, tag.PatientSpeciesCodeSequence,
	tag.PatientBreedDescription, tag.PatientBreedCodeSequence, tag.BreedRegistrationSequence,
	tag.StrainDescription, tag.StrainNomenclature, tag.StrainCodeSequence, tag.StrainAdditionalInformation,
	tag.StrainStockSequence, tag.GeneticModificationsSequence, tag.ResponsiblePerson,
	tag.ResponsiblePersonRole, tag.ResponsibleOrganization, tag.PatientIdentityRemoved,
	tag.DeidentificationMethod, tag.DeidentificationMethodCodeSequence,
	tag.SourcePatientGroupIdentificationSequence, tag.GroupOfPatientsIdentificationSequence,
	// Clinical Trial Subject
	tag.ClinicalTrialSponsorName, tag.ClinicalTrialProtocolID, tag.IssuerOfClinicalTrialProtocolID,
	tag.OtherClinicalTrialProtocolIDsSequence, tag.ClinicalTrialProtocolName, tag.ClinicalTrialSiteID,
	tag.IssuerOfClinicalTrialSiteID, tag.ClinicalTrialSiteName, tag.ClinicalTrialSubjectID,
	tag.IssuerOfClinicalTrialSubjectID, tag.ClinicalTrialSubjectReadingID,
	tag.IssuerOfClinicalTrialSubjectReadingID, tag.ClinicalTrialProtocolEthicsCommitteeName,
	tag.ClinicalTrialProtocolEthicsCommitteeApprovalNumber,
	// General Study
	tag.StudyDate, tag.StudyTime, tag.ReferringPhysicianName, tag.ReferringPhysicianIdentificationSequence,
	tag.ConsultingPhysicianName, tag.ConsultingPhysicianIdentificationSequence, tag.StudyID,
	tag.AccessionNumber, tag.IssuerOfAccessionNumberSequence, tag.StudyDescription, tag.PhysiciansOfRecord,
	tag.PhysiciansOfRecordIdentificationSequence, tag.NameOfPhysiciansReadingStudy,
	tag.PhysiciansReadingStudyIdentificationSequence, tag.RequestingServiceCodeSequence,
	tag.ReferencedStudySequence, tag.ProcedureCodeSequence, tag.ReasonForPerformedProcedureCodeSequence,
	// Patient Study
	tag.AdmittingDiagnosesDescription, tag.AdmittingDiagnosesCodeSequence, tag.PatientAge, tag.PatientSize,
	tag.PatientSizeCodeSequence, tag.PatientWeight, tag.PatientBodyMassIndex, tag.MeasuredAPDimension,
	tag.MeasuredLateralDimension, tag.MedicalAlerts, tag.Allergies, tag.Occupation, tag.SmokingStatus,
	tag.AdditionalPatientHistory, tag.PregnancyStatus, tag.LastMenstrualDate, tag.PatientSexNeutered,
	tag.ReasonForVisit, tag.ReasonForVisitCodeSequence, tag.AdmissionID, tag.IssuerOfAdmissionIDSequence,
	tag.ServiceEpisodeID, tag.IssuerOfServiceEpisodeIDSequence, tag.ServiceEpisodeDescription,
	tag.PatientState,
	// Clinical Trial Study
	tag.ClinicalTrialTimePointID, tag.IssuerOfClinicalTrialTimePointID, tag.ClinicalTrialTimePointDescription,
	tag.LongitudinalTemporalOffsetFromEvent, tag.LongitudinalTemporalEventType,
	tag.ConsentForClinicalTrialUseSequence,
	// General Equipment: where, not what
	tag.InstitutionName, tag.InstitutionAddress, tag.InstitutionalDepartmentName,
	tag.InstitutionalDepartmentTypeCodeSequence,
)

func tagSet(ts ...tag.Tag) map[tag.Tag]bool {
	m := make(map[tag.Tag]bool, len(ts))
	for _, t := range ts {
		m[t] = true
	}
	return m
}

// sourceContext picks the contextTags attributes out of a file's top-level elements, as the file
// has them (an empty Type 2 value stays, so that a copy agrees with its source).
func sourceContext(e elements) elements {
	var out elements
	for _, el := range e {
		if contextTags[el.Tag] && el.Value != nil {
			out = append(out, contextElem(el))
		}
	}
	return out
}

// contextElem is el as a derived object carries it. The library has decoded text to UTF-8 from
// the source's character set, which the SEG declares (ISO_IR 192); bytes of a character set it
// does not know are made valid UTF-8, and padding is trimmed, as readers compare without it.
func contextElem(el *dicom.Element) *dicom.Element {
	if el.Value.ValueType() != dicom.Strings {
		return el
	}
	vs, _ := el.Value.GetValue().([]string)
	clean := make([]string, len(vs))
	for i, v := range vs {
		clean[i] = strings.TrimRight(strings.ToValidUTF8(v, "\uFFFD"), " \x00")
	}
	vr := el.RawValueRepresentation
	if len(vr) != 2 || vr == "UN" {
		// An implicit VR file carries no VR; the dictionary's is the one to write.
		if info, err := tag.Find(el.Tag); err == nil && len(info.VRs) > 0 {
			vr = info.VRs[0]
		}
	}
	return strElem(el.Tag, vr, clean...)
}
