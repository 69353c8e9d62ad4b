package synth

// The questionnaire vocabulary the generator writes: the default SIPAS
// 2017–2020 layout of METHODOLOGY §2 (5 elements, 22 criteria, 7 expectation
// items) and the register's levels and procedure fields.

// Element ids in questionnaire order.
var Elements = []string{"access", "procedures", "officials", "outcomes", "feedback"}

// elementSize is K_e, the number of criteria of each element.
var elementSize = []int{4, 5, 6, 3, 4}

// Criteria are the 22 criterion columns in questionnaire order.
var Criteria = func() []string {
	var c []string
	for e, id := range Elements {
		for k := 1; k <= elementSize[e]; k++ {
			c = append(c, id+"_"+itoa(k))
		}
	}
	return c
}()

// criterionElement[c] is the element index of criterion c.
var criterionElement = func() []int {
	var ce []int
	for e := range Elements {
		for k := 0; k < elementSize[e]; k++ {
			ce = append(ce, e)
		}
	}
	return ce
}()

// Expectations are the 7 expectation columns: 1 more online services,
// 2 simpler procedures, 3 shorter processing time, 4 better attitude of
// officials, 5 better facilities, 6 clearer information, 7 easier feedback.
var Expectations = []string{"expect_1", "expect_2", "expect_3", "expect_4", "expect_5", "expect_6", "expect_7"}

// expectWeight is the relative propensity of picking each expectation item.
var expectWeight = []float64{0.20, 0.20, 0.18, 0.12, 0.10, 0.12, 0.08}

// Levels of the serving agency. From 2025 only "province" and "commune" occur.
var Levels = []string{"province", "district", "commune"}

const (
	lvlProvince = 0
	lvlDistrict = 1
	lvlCommune  = 2
	nLevels     = 3
)

// Fields are the procedure fields of the register.
var Fields = []string{"land", "civil_status", "construction", "business", "certification", "labour_social", "transport"}

const nFields = 7

const nCells = nLevels * nFields

// fieldMix[level][field]: the share of each field among a level's
// transactions (rows sum to 1). Communes do civil status and certification;
// districts land; provinces business registration and transport.
var fieldMix = [nLevels][nFields]float64{
	lvlProvince: {0.15, 0.02, 0.15, 0.30, 0.03, 0.15, 0.20},
	lvlDistrict: {0.35, 0.10, 0.15, 0.15, 0.05, 0.15, 0.05},
	lvlCommune:  {0.10, 0.45, 0.02, 0.00, 0.35, 0.08, 0.00},
}

// organisationShare[field]: the share of transactions filed by an
// organisation rather than an individual.
var organisationShare = [nFields]float64{0.05, 0.01, 0.20, 0.60, 0.02, 0.10, 0.30}

// Background categories.
var (
	genders         = []string{"male", "female"}
	genderP         = []float64{0.52, 0.48}
	ageGroups       = []string{"18-29", "30-44", "45-59", "60+"}
	ageP            = []float64{0.22, 0.38, 0.28, 0.12}
	educations      = []string{"primary", "lower_secondary", "upper_secondary", "vocational", "university", "postgraduate"}
	educationP      = []float64{0.10, 0.22, 0.30, 0.15, 0.20, 0.03}
	ethnicities     = []string{"Kinh", "Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "H'Mông", "other"}
	respondentTypes = []string{"individual", "organisation"}
)

// minorityShare is the share of respondents not of the Kinh majority, by
// region (vi name as in provinces.csv); unknown regions use 0.05.
var minorityShare = map[string]float64{
	"Trung du và miền núi phía Bắc":        0.45,
	"Tây Nguyên":                           0.30,
	"Đồng bằng sông Cửu Long":              0.08,
	"Bắc Trung Bộ và duyên hải miền Trung": 0.07,
	"Đồng bằng sông Hồng":                  0.02,
	"Đông Nam Bộ":                          0.05,
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// appendPadded appends n in decimal, left-padded with zeros to width digits.
func appendPadded(d []byte, n int, width int) []byte {
	var b [20]byte
	i := len(b)
	for n > 0 || i == len(b) {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	for k := len(b) - i; k < width; k++ {
		d = append(d, '0')
	}
	return append(d, b[i:]...)
}
